import { COMPLEXITIES, type Complexity, type QueryJob } from '../shared/query-job.js';
import type { Logger } from '../shared/logger.js';
import type { Manifest } from '../shared/manifest.js';
import { Random, seedFromString } from '../shared/random.js';
import { authFailure, isAuthError, type JsonModel } from './llm-json.js';
import { mapLimit } from './map-limit.js';
import type { SegmentMix } from './options.js';
import { choosePiiIndices, PiiInjector } from './pii.js';
import { llmQuestion } from './questions-llm.js';
import { templateQuestion } from './templates.js';
import type { Topic, TopicChunk } from './topics.js';
import { buildUsers } from './users.js';

export interface GenerateInput {
  runId: string;
  seed: number;
  count: number;
  piiPercentage: number;
  mix: SegmentMix;
  /** Pool of returning users; absent: a fresh user per query. */
  users?: number | undefined;
  topics: Topic[];
  chunks: TopicChunk[];
  manifest: Manifest;
  /** Writes questions with an LLM when given; templates otherwise. */
  model?: JsonModel | undefined;
  concurrency?: number;
  logger?: Logger | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface GenerateResult {
  jobs: QueryJob[];
  /** USD spent on LLM calls writing questions. */
  costUsd: number;
  /** Questions the LLM failed to write (after the SDK's retries) that came from templates instead. */
  llmFailures: number;
}

/**
 * One seeded stream per purpose, so that e.g. changing the PII rate does not change which topics or users
 * a seed gives.
 */
function stream(seed: number, purpose: string): Random {
  return new Random(seedFromString(`${seed}:${purpose}`));
}

/**
 * The query set of a run: for each query a random topic and complexity, a question (template or LLM), PII
 * injected into exactly the asked share, and a user from the segment mix. The same seed gives the same set
 * (with templates; an LLM's wording is its own).
 */
export async function generateQueries(input: GenerateInput): Promise<GenerateResult> {
  const { count, topics } = input;
  if (topics.length === 0) {
    throw new Error('no topics to write questions about');
  }
  const topicRandom = stream(input.seed, 'topics');
  const picks = Array.from({ length: count }, () => {
    const topic = topicRandom.pick(topics);
    const others = topics.length > 1 ? topics.filter((t) => t !== topic) : topics;
    return {
      topic,
      other: topicRandom.pick(others),
      complexity: topicRandom.pick(COMPLEXITIES) as Complexity,
    };
  });

  const templateRandom = stream(input.seed, 'templates');
  const templated = picks.map((p) => templateQuestion(p.topic, p.other, p.complexity, templateRandom));
  let questions = templated;
  let costUsd = 0;
  let llmFailures = 0;
  if (input.model) {
    const model = input.model;
    const chunksById = new Map(input.chunks.map((c) => [c.id, c]));
    let done = 0;
    try {
      questions = await mapLimit(picks, input.concurrency ?? 4, async (p, i) => {
        try {
          const answer = await llmQuestion(model, p.topic, p.complexity, chunksById);
          costUsd += answer.costUsd;
          return answer.query;
        } catch (err) {
          // A refused key fails every call: stop, rather than make a run of templates labelled LLM.
          if (isAuthError(err)) {
            throw err;
          }
          llmFailures++;
          input.logger?.warn(
            { err: (err as Error).message, seq: i },
            'LLM question failed; using a template',
          );
          return templated[i] as string;
        } finally {
          input.onProgress?.(++done, count);
        }
      });
    } catch (err) {
      throw isAuthError(err) ? authFailure(model, err) : err;
    }
  }

  const piiIndices = choosePiiIndices(count, input.piiPercentage, stream(input.seed, 'pii-choice'));
  const injector = new PiiInjector(stream(input.seed, 'pii'));
  const users = buildUsers(
    input.manifest,
    { queries: count, mix: input.mix, pool: input.users },
    stream(input.seed, 'users'),
  );

  const jobs: QueryJob[] = picks.map((p, seq) => {
    const pii = piiIndices.has(seq);
    const text = questions[seq] as string;
    return {
      runId: input.runId,
      seq,
      query: (pii ? injector.inject(text).query : text).slice(0, 5000),
      topic: p.topic.name.slice(0, 200),
      complexity: p.complexity,
      piiInjected: pii,
      user: users[seq] as QueryJob['user'],
    };
  });
  return { jobs, costUsd, llmFailures };
}
