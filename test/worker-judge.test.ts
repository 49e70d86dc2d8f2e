import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { qualityMarker, startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { createLogger } from '../shared/logger.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { StepError } from '../worker/step-error.js';
import { Judge } from '../worker/judge.js';
import { completion, COMPLETION_USD, startOpenAiStub, type OpenAiStub } from './helpers/openai-stub.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const QUESTION = 'How does Q-learning update its value estimates?';
const ANSWER = `Q-learning updates Q(s, a) toward r + gamma * max Q(s', a'). ${qualityMarker(1, 0)}`;

describe('judge (real openai and anthropic SDKs against llm-sim)', () => {
  let sim: LlmSim | undefined;
  let redis: Redis | undefined;
  let server: Server | undefined;
  let stub: OpenAiStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
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
      model: 'claude-haiku-4-5',
      llm: { simUrl: sim.url },
      maxChars: 16_000,
      cache: cache(),
    });
    const first = await judge.judge(QUESTION, ANSWER);
    // The marker says "always positive": llm-sim draws the ground truth from it.
    expect(first).toMatchObject({ verdict: 'positive', cached: false, model: 'claude-haiku-4-5' });
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
      model: 'claude-haiku-4-5',
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

  it('fails on a bad setup (401, 403, 404) with a configuration error, logged loudly once; a 400 is judge_error', async () => {
    let status = 401;
    stub = await startOpenAiStub((_n, res) => {
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'no such thing', type: 'invalid_request_error' } }));
    });
    const logged: { level: number; msg: string }[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    });
    const judge = new Judge({
      provider: 'openai',
      model: 'gpt-4o-mini',
      llm: { simUrl: stub.url },
      maxChars: 16_000,
      logger: createLogger({ level: 'warn', destination }),
    });
    for (const code of [401, 403, 404]) {
      status = code;
      const error = await judge.judge(QUESTION, ANSWER, { finalAttempt: true }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(StepError);
      expect((error as StepError).kind).toBe('fatal');
      expect((error as StepError).message).toMatch(
        new RegExp(`^judge configuration error \\(openai/gpt-4o-mini\\): ${code}.*JUDGE_MODEL`),
      );
    }
    const errors = logged.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/judge configuration error/);

    status = 400;
    const bad = await judge.judge(QUESTION, ANSWER);
    expect(bad.verdict).toBe('judge_error');
  });

  it('carries the cost of calls already made when a later call fails, and ignores a failing cache write', async () => {
    stub = await startOpenAiStub((n, res) => {
      if (n === 2) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
        return;
      }
      // Call 1 breaks the schema (asked again), call 3 answers.
      const content = n === 1 ? '{"verdict":"great"}' : '{"verdict":"positive","reason":"clear"}';
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion(content));
    });
    const { redis: real, keys } = cache();
    const failingWrites = new Proxy(real, {
      get: (target, prop, receiver) =>
        prop === 'set'
          ? () => Promise.reject(new Error('OOM command not allowed'))
          : (Reflect.get(target, prop, receiver) as unknown),
    });
    const judge = new Judge({
      provider: 'openai',
      model: 'gpt-4o-mini',
      llm: { simUrl: stub.url },
      maxChars: 16_000,
      cache: { redis: failingWrites, keys },
    });
    const failed = await judge.judge(QUESTION, ANSWER).catch((err: unknown) => err);
    expect((failed as StepError).kind).toBe('retryable');
    expect((failed as StepError).details.spentUsd).toBeCloseTo(COMPLETION_USD, 12);

    const verdict = await judge.judge(QUESTION, ANSWER);
    expect(verdict).toMatchObject({ verdict: 'positive', cached: false });
    expect(verdict.costUsd).toBeCloseTo(COMPLETION_USD, 12);
  });
});
