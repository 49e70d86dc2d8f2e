import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { simReadiness } from '../agent-service/sim-readiness.js';
import { startLlmSim } from '../llm-sim/index.js';

describe('llm-sim readiness', () => {
  it('is ready when llm-sim answers /healthz, not when something else answers on its port', async () => {
    const sim = await startLlmSim();
    const other = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      expect(await simReadiness(sim.url)).toMatchObject({ name: 'llm-sim', ok: true });
      const { port } = other.address() as AddressInfo;
      expect(await simReadiness(`http://127.0.0.1:${port}`)).toEqual({
        name: 'llm-sim',
        ok: false,
        detail: 'GET /healthz answered HTTP 404',
      });
    } finally {
      await sim.close();
      await new Promise((resolve) => other.close(resolve));
    }
    expect(await simReadiness(sim.url)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/unreachable/),
    });
  });
});
