import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { loadOrBuildEmbeddingIndex } from '../shared/kb/embedding-index.js';
import { loadKnowledgeBase, type KnowledgeBase } from '../shared/kb/loader.js';
import { createOpenAIClient } from '../shared/llm/clients.js';
import { packageRoot } from '../shared/paths.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { createSearchV2Tool } from '../agent-service/tools/search-v2.js';
import { MAX_TOOL_RESULT_CHARS } from '../agent-service/tools/format-results.js';
import { KB_QUESTIONS } from './helpers/kb-questions.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const MODEL = 'text-embedding-3-small';

let sim: LlmSim;
let openai: OpenAI;
let kb: KnowledgeBase;
beforeAll(async () => {
  sim = await startLlmSim({ seed: 7, overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
  openai = createOpenAIClient({ simUrl: sim.url });
  kb = await loadKnowledgeBase(join(packageRoot, 'kb'));
});
afterAll(async () => {
  await sim.close();
});

const embeddingCalls = () => sim.requests().filter((r) => r.path.endsWith('/embeddings')).length;

let prefix: string;
let redis: Redis[];
const connect = (name: string) => {
  const client = createRedis(testRedisUrl(), { connectionName: `${prefix}:${name}` });
  redis.push(client);
  return client;
};
beforeEach(() => {
  prefix = testPrefix('kbidx');
  redis = [];
});
afterEach(async () => {
  await Promise.all(redis.map((client) => client.quit()));
});

describe('loadOrBuildEmbeddingIndex', () => {
  it('builds the index once, stores it in Redis and reuses it from another replica', async () => {
    const keys = new RedisKeys(prefix);
    const before = embeddingCalls();
    const first = await loadOrBuildEmbeddingIndex({
      kb,
      openai,
      model: MODEL,
      redis: connect('a'),
      keys,
      batchSize: 32,
    });
    const builtWith = embeddingCalls() - before;
    expect(first.built).toBe(true);
    expect(builtWith).toBe(Math.ceil(kb.chunks.length / 32));
    expect(first.chunks.map((c) => c.id)).toEqual(kb.chunks.map((c) => c.id));
    expect(first.dimensions).toBeGreaterThan(0);
    expect(first.key.startsWith(`${prefix}:kb-index:${MODEL}:`)).toBe(true);

    // Another replica, with its own connection and a freshly loaded copy of the same base.
    const sameBase = await loadKnowledgeBase(join(packageRoot, 'kb'));
    const second = await loadOrBuildEmbeddingIndex({
      kb: sameBase,
      openai,
      model: MODEL,
      redis: connect('b'),
      keys,
    });
    expect(second.built).toBe(false);
    expect(embeddingCalls() - before).toBe(builtWith);
    expect(second.key).toBe(first.key);
    expect(second.vectors.map((v) => [...v])).toEqual(first.vectors.map((v) => [...v]));

    // Another model is another index.
    const other = await loadOrBuildEmbeddingIndex({
      kb,
      openai,
      model: 'text-embedding-3-large',
      redis: connect('c'),
      keys,
    });
    expect(other.built).toBe(true);
    expect(other.key).not.toBe(first.key);
  });

  it('lets one of several replicas starting together build, and the others wait for it', async () => {
    const keys = new RedisKeys(prefix);
    const before = embeddingCalls();
    const indexes = await Promise.all(
      ['r1', 'r2', 'r3'].map((name) =>
        loadOrBuildEmbeddingIndex({ kb, openai, model: MODEL, redis: connect(name), keys, batchSize: 50 }),
      ),
    );
    expect(indexes.filter((index) => index.built)).toHaveLength(1);
    expect(embeddingCalls() - before).toBe(Math.ceil(kb.chunks.length / 50));
  });

  it('rebuilds when the base changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kb-idx-'));
    try {
      await cp(join(packageRoot, 'kb'), dir, { recursive: true });
      const keys = new RedisKeys(prefix);
      const client = connect('a');
      const original = await loadOrBuildEmbeddingIndex({
        kb: await loadKnowledgeBase(dir),
        openai,
        model: MODEL,
        redis: client,
        keys,
      });
      const again = await loadOrBuildEmbeddingIndex({
        kb: await loadKnowledgeBase(dir),
        openai,
        model: MODEL,
        redis: client,
        keys,
      });
      expect([original.built, again.built]).toEqual([true, false]);

      await writeFile(
        join(dir, 'new-topic.md'),
        '# Curriculum learning\n\nStart with easy tasks, then harder ones.\n',
      );
      const changed = await loadKnowledgeBase(dir);
      const rebuilt = await loadOrBuildEmbeddingIndex({
        kb: changed,
        openai,
        model: MODEL,
        redis: client,
        keys,
      });
      expect(rebuilt.built).toBe(true);
      expect(rebuilt.key).not.toBe(original.key);
      expect(rebuilt.chunks.some((c) => c.docId === 'new-topic.md')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('search_v2', () => {
  /** The tool over the shipped knowledge base's index (built once, then loaded), with no minimum score. */
  async function searchV2() {
    const index = await loadOrBuildEmbeddingIndex({
      kb,
      openai,
      model: MODEL,
      redis: connect('s'),
      keys: new RedisKeys(prefix),
    });
    return createSearchV2Tool({ index, openai, minScore: 0 });
  }

  it.each(KB_QUESTIONS)('finds the answer to "$question" in the top 3', async ({ question, heading }) => {
    const tool = await searchV2();
    const result = await tool.run({ query: question, top_k: 3 });
    const headings = result.cited.map((id) => kb.chunks.find((c) => c.id === id)?.heading);
    expect(headings).toContain(heading);
  });

  it('clamps top_k to 1-20, applies the minimum score and stays under the size cap', async () => {
    const tool = await searchV2();
    expect((await tool.run({ query: 'value function', top_k: 0 })).cited).toHaveLength(1);
    const many = await tool.run({ query: 'value function', top_k: 99, min_score: -1 });
    expect(many.content.length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);
    expect(many.content).toMatch(/^20 passage\(s\)/);
    const none = await tool.run({ query: 'value function', min_score: 0.99 });
    expect(none.cited).toEqual([]);
    expect(none.content).toMatch(/No passages .* similar enough \(>= 0\.99\)/);
  });
});
