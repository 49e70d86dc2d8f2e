import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatResponseSchema } from '../shared/chat.js';
import { queryJobId } from '../shared/query-job.js';
import { createLogger } from '../shared/logger.js';
import { postChat } from '../worker/chat-client.js';
import { AgentHarness } from './agent-service-harness.js';

const JOB_ID = queryJobId('run-join_1', 17);

/** A logger at `level` whose JSON lines land in `lines`. */
function capturingLogger(level: 'debug' | 'warn') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

describe('the job id joins the worker and agent service logs (X-Request-Id)', () => {
  let server: Server | undefined;
  let harness: AgentHarness | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await harness?.close();
    harness = undefined;
  });

  it('the worker sends the job id as X-Request-Id on /chat', async () => {
    const seen: IncomingHttpHeaders[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () =>
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'invalid_request', message: 'no' } })),
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await postChat(
      url,
      { message: 'hi', user: { key: 'u' } },
      { timeoutMs: 30_000, requestId: JOB_ID },
    ).catch(() => undefined);
    expect(seen[0]?.['x-request-id']).toBe(JOB_ID);
  });

  it('the agent service answers and logs under the job id, on success and on a provider failure', async () => {
    const { logger, lines } = capturingLogger('debug');
    harness = await AgentHarness.start({ logger, sim: { allModels: { toolCallRate: 0 } } });
    const res = await harness.chat(
      { message: 'How does Q-learning work?', user: { key: 'join-user' } },
      { 'x-request-id': JOB_ID },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(JOB_ID);
    expect(ChatResponseSchema.parse(await res.json()).requestId).toBe(JOB_ID);
    expect(lines.find((l) => l.msg === 'chat answered')).toMatchObject({ requestId: JOB_ID });

    // A model the provider does not serve: a 502 logged at warn with the same id.
    await harness.close();
    const failing = capturingLogger('warn');
    harness = await AgentHarness.start({
      logger: failing.logger,
      manifest: (manifest) => {
        for (const config of Object.values(manifest.configs)) {
          for (const variation of Object.values(config.variations)) {
            variation.model.name = 'gpt-no-such-model';
            variation.provider = 'openai';
          }
        }
      },
    });
    const bad = await harness.chat(
      { message: 'How does Q-learning work?', user: { key: 'join-user' } },
      {
        'x-request-id': JOB_ID,
      },
    );
    expect(bad.status).toBe(502);
    expect(failing.lines.some((l) => l.requestId === JOB_ID && l.code === 'model_not_found')).toBe(true);
  });

  it('an id with characters outside [\\w.:=-] is replaced by a fresh one', async () => {
    harness = await AgentHarness.start();
    const res = await harness.app.request('/nope', { headers: { 'x-request-id': 'bad id<script>' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
