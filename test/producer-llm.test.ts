import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { createRun, formatPlan } from '../producer/index.js';
import { createJsonModel } from '../producer/llm-json.js';
import { llmTopics } from '../producer/topics-llm.js';
import { QueryJobSchema } from '../shared/query-job.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import { packageRoot } from '../shared/paths.js';
import { defaultPrices } from '../shared/pricing.js';

let sim: LlmSim;
let dir: string;

beforeAll(async () => {
  sim = await startLlmSim({ seed: 4, overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
  dir = await mkdtemp(join(tmpdir(), 'producer-llm-'));
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

const requestsNamed = (name: string) =>
  sim.requests().filter((r) => JSON.stringify(r.body).includes(name)).length;

describe('LLM topics and questions through llm-sim', () => {
  it.each(['gpt-4o-mini', 'claude-sonnet-5'])(
    'keeps only topics grounded in their chunk (%s, real SDK client)',
    async (model) => {
      const kb = await loadKnowledgeBase(join(packageRoot, 'test/fixtures/kb-coffee'));
      const json = createJsonModel({ simUrl: sim.url }, model, defaultPrices());
      const result = await llmTopics(kb.chunks, kb.hash, json, { sampleSize: 12, concurrency: 4 });
      expect(result.calls).toBe(12);
      expect(result.topics.length).toBeGreaterThan(0);
      expect(result.costUsd).toBeGreaterThan(0);
      const byId = new Map(kb.chunks.map((c) => [c.id, c.text.toLowerCase()]));
      for (const topic of result.topics) {
        expect(topic.source).toBe('llm');
        expect(topic.chunkIds).toHaveLength(1);
        const text = byId.get(topic.chunkIds[0] as string) as string;
        for (const term of topic.terms) {
          expect(text, `${topic.name}: ${term}`).toContain(term);
        }
      }
    },
  );

  it('makes a run with LLM topics and questions, priced as harness cost, and reuses cached topics', async () => {
    const before = requestsNamed('kb_topics');
    const deps = { llm: { simUrl: sim.url }, redisUrl: testRedisUrl(), prefix: testPrefix('prodllm') };
    const first = await createRun({ topics: 'llm', queries: 30, seed: 2 }, deps);
    expect(first.plan.mode).toBe('SIMULATED');
    expect(first.plan.source).toMatchObject({ kind: 'generated', topicMethod: 'llm', topicsCached: false });
    expect(first.plan.source.kind === 'generated' && first.plan.source.topics).toBeGreaterThanOrEqual(20);
    expect(first.plan.source).toMatchObject({ questions: 'llm (gpt-4o-mini)' });
    expect(first.harnessCostUsd).toBeGreaterThan(0);
    expect(first.plan.harnessCostUsd).toBe(first.harnessCostUsd);
    expect(requestsNamed('kb_topics')).toBeGreaterThan(before);
    expect(requestsNamed('user_question')).toBeGreaterThanOrEqual(30);
    for (const job of first.jobs) {
      expect(QueryJobSchema.safeParse(job).success).toBe(true);
    }
    expect(first.jobs.filter((j) => j.piiInjected)).toHaveLength(5);

    const topicCalls = requestsNamed('kb_topics');
    const second = await createRun({ topics: 'llm', queries: 5, seed: 2 }, deps);
    expect(second.plan.source).toMatchObject({ topicsCached: true });
    expect(requestsNamed('kb_topics')).toBe(topicCalls);

    // A dry run touches no Redis, so it has no cache: it analyses the base again.
    const dry = await createRun(
      { topics: 'llm', queries: 5, seed: 2, dryRun: true, out: join(dir, 'b.jsonl') },
      { llm: { simUrl: sim.url } },
    );
    expect(dry.plan.source).toMatchObject({ topicsCached: false });
    expect(requestsNamed('kb_topics')).toBeGreaterThan(topicCalls);
  });

  it('survives a failed topic call and counts a failed question as a template in the plan', async () => {
    // `malformed` is not retried by the SDK: exactly one topic call and one question call fail.
    sim.scheduleFault({ kind: 'malformed', model: 'gpt-4o-mini', skip: 0, count: 1 });
    const run = await createRun(
      { topics: 'llm', queries: 10, seed: 3, dryRun: true, out: join(dir, 'c.jsonl') },
      {
        llm: { simUrl: sim.url },
        onProgress: (phase, done) => {
          if (phase === 'topics' && done === 1) {
            sim.scheduleFault({ kind: 'malformed', model: 'gpt-4o-mini', skip: 0, count: 1 });
          }
        },
      },
    );
    expect(run.plan.source).toMatchObject({ topicMethod: 'llm', templateFallbacks: 1 });
    expect(run.plan.source.kind === 'generated' && run.plan.source.topics).toBeGreaterThanOrEqual(20);
    expect(formatPlan(run.plan)).toMatch(
      /questions: llm \(gpt-4o-mini\) \(1 from templates after LLM failures\)/,
    );
  });

  it('refuses --topics llm with neither a key nor llm-sim', async () => {
    await expect(createRun({ topics: 'llm', dryRun: true }, { llm: {} })).rejects.toThrow(
      /--topics llm needs a provider key/,
    );
  });

  it('records the simulator’s latency setting with the run, so the readout knows a --zero-latency run', async () => {
    const prefix = testPrefix('prodsim');
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:check` });
    const profiled = await startLlmSim({ seed: 4 });
    try {
      const store = new RunStore(redis, new RedisKeys(prefix));
      const deps = (simUrl: string) => ({ llm: { simUrl }, redisUrl: testRedisUrl(), prefix });
      const zero = await createRun({ topics: 'extractive', queries: 2, seed: 1 }, deps(sim.url));
      expect((await store.get(zero.runId))?.meta.llmSim).toEqual({ latency: 'zero' });
      const timed = await createRun({ topics: 'extractive', queries: 2, seed: 1 }, deps(profiled.url));
      expect((await store.get(timed.runId))?.meta.llmSim).toEqual({ latency: 'profile' });
      // A simulator that does not answer leaves the setting out; the run is still made.
      const gone = await createRun({ topics: 'extractive', queries: 2, seed: 1 }, deps('http://127.0.0.1:1'));
      expect((await store.get(gone.runId))?.meta.llmSim).toBeUndefined();
    } finally {
      await profiled.close();
      await redis.quit();
    }
  });
});
