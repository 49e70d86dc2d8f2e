import { z } from 'zod';
import type { Logger } from '../shared/logger.js';
import { Random, seedFromString } from '../shared/random.js';
import { authFailure, isAuthError, type JsonModel } from './llm-json.js';
import { mapLimit } from './map-limit.js';
import { groundTopic, words, type Topic, type TopicChunk } from './topics.js';

const SYSTEM = [
  'You read one passage of a knowledge base and name the topics a user of that knowledge base might ask',
  'about. Give one to three topics. For each: a short name (2-6 words) and two to four key terms copied',
  'verbatim from the passage (single words or short phrases that occur in it). Do not add anything the',
  'passage does not discuss.',
].join(' ');

const AnswerSchema = z.object({
  topics: z
    .array(
      z.object({ name: z.string().trim().min(1).max(120), key_terms: z.array(z.string()).min(1).max(8) }),
    )
    .max(6),
});

const JSON_SCHEMA = {
  type: 'object',
  properties: {
    topics: {
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          key_terms: { type: 'array', minItems: 1, maxItems: 4, items: { type: 'string' } },
        },
        required: ['name', 'key_terms'],
        additionalProperties: false,
      },
    },
  },
  required: ['topics'],
  additionalProperties: false,
};

export interface LlmTopicOptions {
  /** Chunks to show the model (default 30), sampled across documents. */
  sampleSize?: number;
  maxTopics?: number;
  concurrency?: number;
  logger?: Logger | undefined;
}

export interface LlmTopicResult {
  topics: Topic[];
  /** Topics the model named that were not grounded in their chunk. */
  dropped: number;
  costUsd: number;
  calls: number;
  /** Calls that failed (after the SDK's retries); their chunks gave no topics. */
  failed: number;
}

/**
 * Chunks spread over documents: round-robin over documents in a seeded order, so a base with one huge
 * document still yields topics from the others. The seed comes from the base's content, not the run.
 */
export function sampleChunks<C extends TopicChunk>(chunks: C[], size: number, seed: number): C[] {
  const random = new Random(seed);
  const byDoc = new Map<string, C[]>();
  for (const chunk of chunks) {
    byDoc.set(chunk.docId, [...(byDoc.get(chunk.docId) ?? []), chunk]);
  }
  const queues = [...byDoc.values()].map((list) => random.shuffle([...list]));
  const sample: C[] = [];
  while (sample.length < size && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next && sample.length < size) {
        sample.push(next);
      }
    }
  }
  return sample;
}

/**
 * Topics named by an LLM, one call per sampled chunk, each topic tied to the chunk it was named from. Key
 * terms are split into words, and a topic any of whose words is missing from its chunk is dropped: the model
 * may summarise, but not invent. A failed call costs its chunk's topics (the caller tops up with extractive
 * ones); a refused key (401/403) stops the calls and throws a `ConfigError`.
 */
export async function llmTopics(
  chunks: TopicChunk[],
  kbHash: string,
  model: JsonModel,
  options: LlmTopicOptions = {},
): Promise<LlmTopicResult> {
  const sample = sampleChunks(chunks, options.sampleSize ?? 30, seedFromString(kbHash));
  const chunksById = new Map(chunks.map((c) => [c.id, c]));
  let costUsd = 0;
  let failed = 0;
  let answers;
  try {
    answers = await mapLimit(sample, options.concurrency ?? 4, async (chunk) => {
      // The passage comes first: it is the material, and the section name only helps a real model.
      const user = `${chunk.text}\n\n(Section: ${chunk.heading ?? chunk.title})`;
      try {
        const answer = await model.complete({
          system: SYSTEM,
          user,
          name: 'kb_topics',
          jsonSchema: JSON_SCHEMA,
          schema: AnswerSchema,
          maxTokens: 300,
        });
        costUsd += answer.costUsd;
        return { chunk, topics: answer.value.topics };
      } catch (err) {
        if (isAuthError(err)) {
          throw err;
        }
        failed++;
        options.logger?.warn(
          { err: (err as Error).message, chunk: chunk.id },
          'LLM topic call failed; its chunk gives no topics',
        );
        return { chunk, topics: [] };
      }
    });
  } catch (err) {
    throw isAuthError(err) ? authFailure(model, err) : err;
  }
  const topics: Topic[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  for (const { chunk, topics: named } of answers) {
    for (const t of named) {
      const terms = [...new Set(t.key_terms.flatMap((term) => words(term)).filter((w) => w.length >= 3))];
      const grounded = groundTopic({ name: t.name, terms, chunkIds: [chunk.id], source: 'llm' }, chunksById);
      const key = grounded?.name.toLowerCase();
      if (!grounded || key === undefined) {
        dropped++;
        options.logger?.debug(
          { topic: t.name, chunk: chunk.id },
          'topic dropped: key terms not in its chunk',
        );
        continue;
      }
      if (!seen.has(key) && topics.length < (options.maxTopics ?? 40)) {
        seen.add(key);
        topics.push(grounded);
      }
    }
  }
  return { topics, dropped, costUsd, calls: sample.length, failed };
}
