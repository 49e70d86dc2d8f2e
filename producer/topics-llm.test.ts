import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/errors.js';
import type { JsonModel, JsonRequest } from './llm-json.js';
import { llmTopics } from './topics-llm.js';
import type { TopicChunk } from './topics.js';

const chunks: TopicChunk[] = Array.from({ length: 12 }, (_, i) => ({
  id: `c${i}`,
  docId: `d${i % 3}`,
  title: `Doc ${i % 3}`,
  heading: `Section ${i}`,
  text: `Reward shaping number${i} changes how agents learn policies from sparse feedback signals.`,
}));

/** A model that names one grounded topic per chunk, and fails the calls `fail` picks. */
function fakeModel(fail: (call: number) => Error | undefined): JsonModel & { calls: number } {
  const model = {
    provider: 'openai' as const,
    model: 'fake-mini',
    calls: 0,
    async complete<T>(request: JsonRequest<T>) {
      const call = model.calls++;
      const error = fail(call);
      if (error) {
        throw error;
      }
      const n = /number(\d+)/.exec(request.user)?.[1] ?? '';
      const value = {
        topics: [{ name: `Reward shaping ${n}`, key_terms: ['reward shaping', `number${n}`] }],
      };
      return { value: value as T, inputTokens: 10, outputTokens: 5, costUsd: 0.001, priced: true };
    },
  };
  return model;
}

const status = (code: number) => Object.assign(new Error(`${code} refused`), { status: code });

describe('llmTopics failures', () => {
  it('keeps the other chunks’ topics when one call fails', async () => {
    const model = fakeModel((call) => (call === 3 ? new Error('malformed JSON') : undefined));
    const result = await llmTopics(chunks, 'hash', model, { sampleSize: 12, concurrency: 4 });
    expect(model.calls).toBe(12);
    expect(result.failed).toBe(1);
    expect(result.topics).toHaveLength(11);
  });

  it.each([401, 403])(
    'stops calling after the provider refuses the key (%i), naming the variable',
    async (code) => {
      const model = fakeModel((call) => (call === 0 ? status(code) : undefined));
      const run = llmTopics(chunks, 'hash', model, { sampleSize: 12, concurrency: 2 });
      await expect(run).rejects.toThrow(ConfigError);
      await expect(run).rejects.toThrow(
        /openai refused query generation with fake-mini .*check OPENAI_API_KEY/,
      );
      // The call in flight beside the refused one finishes; nothing new starts.
      expect(model.calls).toBe(2);
    },
  );
});
