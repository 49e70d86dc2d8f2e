import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKbCommand } from '../agent-service/kb-command.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { ConfigError } from '../shared/errors.js';
import { packageRoot } from '../shared/paths.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

let sim: LlmSim;
beforeAll(async () => {
  sim = await startLlmSim({ overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
});
afterAll(async () => {
  await sim.close();
});

/** Runs `loadgen kb ...args` with `env` and returns what it printed. */
async function kb(env: Record<string, string>, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const program = new Command('loadgen').exitOverride();
  registerKbCommand(program, {
    env: { LOG_LEVEL: 'silent', KB_DIR: join(packageRoot, 'kb'), ...env },
    stdout,
  });
  await program.parseAsync(['kb', ...args], { from: 'user' });
  return out;
}

describe('loadgen kb', () => {
  it('index builds the index once, then reuses it', async () => {
    const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: testPrefix('kbcmd'), LLM_SIM_URL: sim.url };
    const first = JSON.parse(await kb(env, 'index', '--json')) as Record<string, unknown>;
    expect(first).toMatchObject({ status: 'built', mode: 'simulated', model: 'text-embedding-3-small' });
    expect(first.chunks).toBeGreaterThan(40);
    const second = JSON.parse(await kb(env, 'index', '--json')) as Record<string, unknown>;
    expect(second).toMatchObject({ status: 'reused', key: first.key });
    const forced = await kb(env, 'index', '--force', '--model', 'text-embedding-3-large');
    expect(forced).toMatch(
      /^embeddings index built: \d+ chunks x 256 dimensions, model text-embedding-3-large \(simulated\)/,
    );
  });

  it('index fails fast naming the URL when Redis is down', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: testPrefix('kbcmd'), LLM_SIM_URL: sim.url };
    await expect(kb(env, 'index')).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  }, 15_000);

  it('info prints the documents and the content hash', async () => {
    const info = JSON.parse(await kb({}, 'info', '--json')) as { hash: string; documents: unknown[] };
    expect(info.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.documents.length).toBeGreaterThanOrEqual(10);
  });

  it('index without a key or simulator is a configuration error naming OPENAI_API_KEY', async () => {
    const run = kb({ REDIS_PREFIX: testPrefix('kbcmd') }, 'index');
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(/OPENAI_API_KEY/);
  });
});
