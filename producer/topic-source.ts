import type { LlmSettings } from '../shared/llm/index.js';
import type { Logger } from '../shared/logger.js';
import type { JsonModel } from './llm-json.js';
import type { TopicMethod } from './options.js';
import type { TopicCache } from './topic-cache.js';
import { llmTopics } from './topics-llm.js';
import { extractTopics, type Topic, type TopicChunk } from './topics.js';

/** The tutorial's floor: experiments need questions spread over at least this many topics. */
export const MIN_TOPICS = 20;
export const MAX_TOPICS = 40;

/** Whether a real provider key is configured (LLM_SIM_URL aside). */
export function hasProviderKey(llm: LlmSettings): boolean {
  return Boolean(llm.openaiApiKey || llm.anthropicApiKey || llm.mistralApiKey);
}

/** `auto` means the LLM when a real provider key is configured, the extractive method otherwise. */
export function resolveTopicMethod(method: TopicMethod, llm: LlmSettings): 'extractive' | 'llm' {
  if (method !== 'auto') {
    return method;
  }
  return hasProviderKey(llm) ? 'llm' : 'extractive';
}

export interface TopicsResult {
  topics: Topic[];
  method: 'extractive' | 'llm';
  cached: boolean;
  costUsd: number;
}

export interface TopicSourceInput {
  chunks: TopicChunk[];
  kbHash: string;
  method: 'extractive' | 'llm';
  model?: JsonModel | undefined;
  /** Where topics are kept between runs; none on a dry run (which does not touch Redis). */
  cache?: TopicCache | undefined;
  concurrency: number;
  logger?: Logger | undefined;
}

/**
 * Topics of a knowledge base, from the cache (when given) if the same base was analysed with the same
 * method (and model) before. LLM topics that fall short of {@link MIN_TOPICS} after grounding are topped up with
 * extractive ones, and the log says so.
 */
export async function loadTopics(input: TopicSourceInput): Promise<TopicsResult> {
  const { cache, method, model } = input;
  const cacheKey = method === 'llm' && model ? `llm-${model.model}` : 'extractive';
  const cached = await cache?.get(input.kbHash, cacheKey);
  if (cached && cached.length > 0) {
    return { topics: cached, method, cached: true, costUsd: 0 };
  }
  let topics: Topic[];
  let costUsd = 0;
  // Topics missing because calls failed are not kept: the next run asks again.
  let complete = true;
  if (method === 'llm' && model) {
    const result = await llmTopics(input.chunks, input.kbHash, model, {
      maxTopics: MAX_TOPICS,
      concurrency: input.concurrency,
      logger: input.logger,
    });
    costUsd = result.costUsd;
    topics = result.topics;
    complete = result.failed === 0;
    input.logger?.info(
      {
        kept: topics.length,
        dropped: result.dropped,
        calls: result.calls,
        failed: result.failed,
        model: model.model,
      },
      'LLM topics grounded in their chunks',
    );
    if (topics.length < MIN_TOPICS) {
      const names = new Set(topics.map((t) => t.name.toLowerCase()));
      const extra = extractTopics(input.chunks, { maxTopics: MAX_TOPICS }).filter(
        (t) => !names.has(t.name.toLowerCase()),
      );
      const added = extra.slice(0, MIN_TOPICS - topics.length);
      topics = [...topics, ...added];
      input.logger?.warn(
        { added: added.length },
        `fewer than ${MIN_TOPICS} grounded LLM topics: added extractive ones`,
      );
    }
  } else {
    topics = extractTopics(input.chunks, { maxTopics: MAX_TOPICS });
  }
  if (cache && complete && topics.length > 0) {
    await cache.set(input.kbHash, cacheKey, topics);
  }
  return { topics, method, cached: false, costUsd };
}
