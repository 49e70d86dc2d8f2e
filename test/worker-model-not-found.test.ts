import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupFailures } from '../readout/index.js';
import { writeFlagFile } from '../shared/flag-file.js';
import { loadManifest } from '../shared/manifest.js';
import { loadConfig as loadWorkerConfig, startWorker, type WorkerHandle } from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerStack } from './worker-stack.js';

const EXPECTED =
  'model claude-opus-4 (support-agent / eu-paid) is not served by anthropic: 404 not_found_error';

describe('a model id the provider does not serve (llm-sim answers 404 as the provider does)', () => {
  let stack: WorkerStack | undefined;
  let worker: WorkerHandle | undefined;
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await stack?.close();
    stack = undefined;
  });

  it('fails a rehearsal job at once, naming the model, the AI Config variation and the provider', async () => {
    // The pre-#16 manifest's id: not an id Anthropic serves. EU paid users get it for support.
    const manifest = structuredClone(loadManifest());
    manifest.configs['support-agent']!.variations['eu-paid']!.model.name = 'claude-opus-4';
    const flags = join(mkdtempSync(join(tmpdir(), 'wmnf-flags-')), 'flags.json');
    writeFlagFile(manifest, flags);
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wmnf'),
      agentEnv: { LD_FLAGS_FILE: flags },
    });
    worker = await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 2, tty: false });
    // Queries 0-3 go to other-paid, other-free, eu-paid and eu-free users.
    await stack.createRun('wrongmodel', 4);
    await stack.enqueue('wrongmodel', 4, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    const records = await stack.waitForResults('wrongmodel', 4, 30_000);

    const failed = records.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.seq)).toEqual([2]);
    expect(failed[0]?.error).toBe(`agent service: HTTP 502 (model_not_found: ${EXPECTED})`);
    expect(records.filter((r) => r.status === 'completed')).toHaveLength(3);
    // Not retried: the same model id would be refused again.
    const job = await stack.waitForState('wrongmodel.2', 'failed');
    expect(job.attemptsMade).toBe(1);
    // The run page and the rehearsal's summary group failures by this reason.
    expect(groupFailures(records).map((g) => g.reason)).toEqual([
      `agent service: HTTP 502 (model_not_found: ${EXPECTED})`,
    ]);
    // llm-sim refused it as Anthropic does, and counted it as rejected.
    expect(stack.sim.stats().rejected).toBeGreaterThanOrEqual(1);
  });
});
