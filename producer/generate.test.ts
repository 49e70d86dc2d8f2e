import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/errors.js';
import { QueryJobSchema } from '../shared/query-job.js';
import { loadKnowledgeBase, type KnowledgeBase } from '../shared/kb/loader.js';
import { loadManifest, userInSegment } from '../shared/manifest.js';
import { packageRoot } from '../shared/paths.js';
import { generateQueries, type GenerateInput } from './generate.js';
import type { JsonModel, JsonRequest } from './llm-json.js';
import { extractTopics, type Topic } from './topics.js';

const manifest = loadManifest();
let kb: KnowledgeBase;
let topics: Topic[];

beforeAll(async () => {
  kb = await loadKnowledgeBase(join(packageRoot, 'kb'));
  topics = extractTopics(kb.chunks);
});

const input = (over: Partial<GenerateInput> = {}): GenerateInput => ({
  runId: 'r1',
  seed: 42,
  count: 300,
  piiPercentage: 15,
  mix: { 'other-paid': 1 },
  topics,
  chunks: kb.chunks,
  manifest,
  ...over,
});

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;
const PHONE = /\(?\d{3}\)?[ -.]?\d{3}[ -.]?\d{4}/;
const ADDRESS = /\d+ [\w .'-]+, [\w .'-]+, [A-Z]{2} \d{5}/;

describe('generateQueries', () => {
  it('gives identical queries, topics and user keys for the same seed, and different ones for another', async () => {
    const a = await generateQueries(input());
    const b = await generateQueries(input());
    expect(b.jobs).toEqual(a.jobs);
    const c = await generateQueries(input({ seed: 43 }));
    expect(c.jobs.map((j) => j.query)).not.toEqual(a.jobs.map((j) => j.query));
    expect(c.jobs.map((j) => j.user.key)).not.toEqual(a.jobs.map((j) => j.user.key));
    // A fresh user per query by default.
    expect(new Set(a.jobs.map((j) => j.user.key)).size).toBe(300);
    for (const job of a.jobs) {
      expect(QueryJobSchema.safeParse(job).success, job.query).toBe(true);
    }
    // Varied: templates, topics and complexities all spread.
    expect(new Set(a.jobs.map((j) => j.query)).size).toBeGreaterThan(250);
    expect(new Set(a.jobs.map((j) => j.topic)).size).toBeGreaterThanOrEqual(20);
    expect(new Set(a.jobs.map((j) => j.complexity))).toEqual(new Set(['basic', 'intermediate', 'advanced']));
  });

  it('injects realistic PII into the asked share of 1,000 queries (within 5 points), and only there', async () => {
    for (const pct of [0, 15, 50]) {
      const { jobs } = await generateQueries(input({ count: 1000, piiPercentage: pct }));
      const share = (100 * jobs.filter((j) => j.piiInjected).length) / jobs.length;
      expect(Math.abs(share - pct)).toBeLessThanOrEqual(5);
      for (const job of jobs) {
        const hasPii = EMAIL.test(job.query) || PHONE.test(job.query) || ADDRESS.test(job.query);
        expect(hasPii, job.query).toBe(job.piiInjected);
      }
    }
  });

  it('builds users whose attributes satisfy their segment rules, in the asked mix', async () => {
    const mix = { 'other-paid': 0.4, 'eu-paid': 0.3, 'eu-free': 0.2, 'other-free': 0.1 };
    const { jobs } = await generateQueries(input({ count: 1000, mix }));
    const counts: Record<string, number> = {};
    for (const { user } of jobs) {
      const segment = user.segment as string;
      counts[segment] = (counts[segment] ?? 0) + 1;
      expect(userInSegment(manifest, segment, user), JSON.stringify(user)).toBe(true);
      for (const other of Object.keys(mix).filter((s) => s !== segment)) {
        expect(userInSegment(manifest, other, user)).toBe(false);
      }
      expect(user.country).toMatch(/^[A-Z]{2}$/);
    }
    expect(counts).toEqual({ 'other-paid': 400, 'eu-paid': 300, 'eu-free': 200, 'other-free': 100 });
    // Segments are interleaved, not in blocks.
    expect(new Set(jobs.slice(0, 50).map((j) => j.user.segment)).size).toBeGreaterThan(1);
  });

  it('draws from a pool of returning users when asked', async () => {
    const { jobs } = await generateQueries(
      input({ count: 500, users: 20, mix: { 'other-paid': 1, 'eu-paid': 1 } }),
    );
    const keys = new Set(jobs.map((j) => j.user.key));
    expect(keys.size).toBeLessThanOrEqual(20);
    expect(keys.size).toBeGreaterThan(10);
    const segmentOf = new Map<string, string | undefined>();
    for (const { user } of jobs) {
      // A returning user keeps the same attributes every time.
      expect(segmentOf.get(user.key) ?? user.segment).toBe(user.segment);
      segmentOf.set(user.key, user.segment);
    }
  });

  it('counts questions that fell back to templates, and stops on a refused key instead of falling back', async () => {
    const model = (fail: (call: number) => Error | undefined): JsonModel & { calls: number } => {
      const m = {
        provider: 'anthropic' as const,
        model: 'fake-haiku',
        calls: 0,
        async complete<T>(_request: JsonRequest<T>) {
          const error = fail(m.calls++);
          if (error) {
            throw error;
          }
          return {
            value: { query: 'How do I tune it?' } as T,
            inputTokens: 1,
            outputTokens: 1,
            costUsd: 0,
            priced: true,
          };
        },
      };
      return m;
    };
    const flaky = model((call) => (call % 10 === 0 ? new Error('timed out') : undefined));
    const some = await generateQueries(input({ count: 40, piiPercentage: 0, model: flaky, concurrency: 4 }));
    expect(some.llmFailures).toBe(4);
    expect(some.jobs.filter((j) => j.query.startsWith('How do I tune it?'))).toHaveLength(36);

    const refused = model((call) =>
      call === 0 ? Object.assign(new Error('invalid x-api-key'), { status: 401 }) : undefined,
    );
    const run = generateQueries(input({ count: 40, model: refused, concurrency: 3 }));
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(
      /anthropic refused .*fake-haiku \(401: invalid x-api-key\): check ANTHROPIC_API_KEY/,
    );
    expect(refused.calls).toBe(3);
  });
});
