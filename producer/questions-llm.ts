import { z } from 'zod';
import type { Complexity } from '../shared/query-job.js';
import type { JsonModel } from './llm-json.js';
import type { Topic, TopicChunk } from './topics.js';

const SYSTEM = [
  'You write one realistic question that a user of a product support assistant would type, about the topic',
  'and passage given. Match the complexity: basic = a newcomer asking what something is; intermediate = how it',
  'works or how to apply it; advanced = comparisons, limitations, edge cases or implementation problems.',
  'Write only the question, in the first person where natural, at most three sentences.',
].join(' ');

const AnswerSchema = z.object({ query: z.string().trim().min(1).max(2000) });
const JSON_SCHEMA = {
  type: 'object',
  properties: { query: { type: 'string' } },
  required: ['query'],
  additionalProperties: false,
};

export interface LlmQuestion {
  query: string;
  costUsd: number;
}

/** One question about `topic` at `complexity`, written by the model from the topic's first source chunk. */
export async function llmQuestion(
  model: JsonModel,
  topic: Topic,
  complexity: Complexity,
  chunksById: Map<string, TopicChunk>,
): Promise<LlmQuestion> {
  const excerpt = (chunksById.get(topic.chunkIds[0] ?? '')?.text ?? '').slice(0, 1200);
  // Topic first: it is what the question is about; the passage keeps the question answerable from the base.
  const user = `${topic.name}. Key terms: ${topic.terms.join(', ')}. Complexity: ${complexity}.\n\nPassage: ${excerpt}`;
  const answer = await model.complete({
    system: SYSTEM,
    user,
    name: 'user_question',
    jsonSchema: JSON_SCHEMA,
    schema: AnswerSchema,
    maxTokens: 200,
  });
  return { query: answer.value.query, costUsd: answer.costUsd };
}
