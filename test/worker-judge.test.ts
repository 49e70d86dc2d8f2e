import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { qualityMarker, startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { StepError } from '../worker/chat-client.js';
import { Judge } from '../worker/judge.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const QUESTION = 'How does Q-learning update its value estimates?';
const ANSWER = `Q-learning updates Q(s, a) toward r + gamma * max Q(s', a'). ${qualityMarker(1, 0)}`;

describe('judge (real openai and anthropic SDKs against llm-sim)', () => {
  let sim: LlmSim | undefined;
  let redis: Redis | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    await redis?.quit();
    redis = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  function cache() {
    const prefix = testPrefix('wj');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:judge` });
    return { redis, keys: new RedisKeys(prefix) };
  }

  it('asks Claude Haiku through a forced judge_verdict tool, prices the call, and caches the verdict', async () => {
    sim = await startLlmSim({ seed: 3, overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
    const judge = new Judge({
      provider: 'anthropic',
      model: 'claude-3-5-haiku-latest',
      llm: { simUrl: sim.url },
      maxChars: 16_000,
      cache: cache(),
    });
    const first = await judge.judge(QUESTION, ANSWER);
    // The marker says "always positive": llm-sim draws the ground truth from it.
    expect(first).toMatchObject({ verdict: 'positive', cached: false, model: 'claude-3-5-haiku-latest' });
    expect(first.reason.length).toBeGreaterThan(0);
    expect(first.costUsd).toBeGreaterThan(0);
    const [request] = sim.requests();
    expect(request?.path).toBe('/v1/messages');
    expect(request?.body).toMatchObject({ tool_choice: { type: 'tool', name: 'judge_verdict' } });
    expect(JSON.stringify(request?.body)).toContain(QUESTION);

    const again = await judge.judge(QUESTION, ANSWER);
    expect(again).toMatchObject({ verdict: 'positive', reason: first.reason, cached: true, costUsd: 0 });
    expect(sim.requests()).toHaveLength(1);
  });

  it('asks an OpenAI judge for json_schema output named judge_verdict at temperature 0', async () => {
    sim = await startLlmSim({ seed: 3, overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
    const judge = new Judge({
      provider: 'openai',
      model: 'gpt-4o-mini',
      llm: { simUrl: sim.url },
      maxChars: 16_000,
    });
    const negative = `An answer. ${qualityMarker(0, 1)}`;
    expect((await judge.judge(QUESTION, negative)).verdict).toBe('negative');
    expect(sim.requests()[0]?.body).toMatchObject({
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'judge_verdict', strict: true } },
    });
  });

  it('retries provider failures through the job, and on its last attempt records judge_error; 429 never', async () => {
    sim = await startLlmSim({ seed: 3, overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
    const judge = new Judge({
      provider: 'anthropic',
      model: 'claude-3-5-haiku-latest',
      llm: { simUrl: sim.url },
      maxChars: 16_000,
    });
    sim.scheduleFault({ kind: '500' });
    const retry = await judge.judge(QUESTION, ANSWER).catch((err: unknown) => err);
    expect(retry).toBeInstanceOf(StepError);
    expect((retry as StepError).kind).toBe('retryable');

    sim.scheduleFault({ kind: '500' });
    const last = await judge.judge(QUESTION, ANSWER, { finalAttempt: true });
    expect(last.verdict).toBe('judge_error');
    expect(last.reason).toMatch(/judge call failed: 500/);

    sim.scheduleFault({ kind: '429' });
    const limited = await judge.judge(QUESTION, ANSWER, { finalAttempt: true }).catch((err: unknown) => err);
    expect((limited as StepError).kind).toBe('rate-limited');
    expect((limited as StepError).details.retryAfterMs).toBeGreaterThan(0);
  });

  it('asks again when the output breaks the schema, then records judge_error (never "none")', async () => {
    // llm-sim always answers within the schema, so a minimal OpenAI-protocol server stands in for a model
    // that does not: the real openai SDK still makes the calls.
    let calls = 0;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: `c${calls}`,
            object: 'chat.completion',
            created: 0,
            model: 'gpt-4o-mini',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: '{"verdict":"great","reason":"loved it"}' },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const judge = new Judge({
      provider: 'openai',
      model: 'gpt-4o-mini',
      llm: { simUrl: url },
      maxChars: 16_000,
    });
    const result = await judge.judge(QUESTION, ANSWER);
    expect(calls).toBe(3);
    expect(result.verdict).toBe('judge_error');
    expect(result.reason).toMatch(/unusable after 3 attempts: verdict/);
    // Three priced calls of gpt-4o-mini: 3 x (100 x 0.15 + 10 x 0.6) / 1M.
    expect(result.costUsd).toBeCloseTo((3 * (100 * 0.15 + 10 * 0.6)) / 1e6, 12);
  });
});
