import { z } from 'zod';
import { UserContextSchema } from './user-context.js';

/** Longest message `POST /chat` accepts by default (characters); the agent service can be configured lower or higher. */
export const DEFAULT_MAX_MESSAGE_CHARS = 5000;
/** Most history turns `POST /chat` accepts. */
export const MAX_HISTORY_TURNS = 8;

/**
 * One history turn; its content has the same limits as the message. Blank content is refused: Anthropic
 * rejects empty text blocks, which would turn bad input into a 502.
 */
function chatTurnSchema(maxMessageChars: number) {
  return z.object({
    role: z.enum(['user', 'assistant']),
    content: z
      .string()
      .trim()
      .min(1, 'must be a non-empty string')
      .max(maxMessageChars, `must be at most ${maxMessageChars} characters`),
  });
}

/** Body of `POST /chat`. */
export function chatRequestSchema(maxMessageChars = DEFAULT_MAX_MESSAGE_CHARS) {
  return z.object({
    message: z
      .string()
      .trim()
      .min(1, 'must be a non-empty string')
      .max(maxMessageChars, `must be at most ${maxMessageChars} characters`),
    user: UserContextSchema,
    history: z
      .array(chatTurnSchema(maxMessageChars))
      .max(MAX_HISTORY_TURNS, `at most ${MAX_HISTORY_TURNS} turns`)
      .default([]),
  });
}
export const ChatRequestSchema = chatRequestSchema();
export type ChatRequest = z.input<typeof ChatRequestSchema>;

export const TokenUsageSchema = z.object({
  input: z.number().int().nonnegative(),
  output: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** What the AI SDK tracker's `getTrackData()` returned: the worker sends feedback with exactly this. */
export const TrackDataSchema = z.object({
  variationKey: z.string(),
  configKey: z.string(),
  version: z.number(),
  modelName: z.string(),
  providerName: z.string(),
});
export type TrackData = z.infer<typeof TrackDataSchema>;

export const ToolCallSchema = z.object({
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
  durationMs: z.number().nonnegative(),
  /** Ids of the chunks or papers the result cited. */
  cited: z.array(z.string()).default([]),
  error: z.string().optional(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** One agent that ran for a request. */
export const AgentRunSchema = z.object({
  agent: z.enum(['supervisor', 'security', 'support']),
  configKey: z.string(),
  variationKey: z.string(),
  version: z.number(),
  enabled: z.boolean(),
  model: z.string(),
  provider: z.string(),
  tokens: TokenUsageSchema,
  durationMs: z.number().nonnegative(),
  timeToFirstTokenMs: z.number().nonnegative().optional(),
  /** USD; null when the model is unpriced. */
  costUsd: z.number().nonnegative().nullable(),
  toolCalls: z.array(ToolCallSchema).default([]),
  error: z.string().optional(),
  trackData: TrackDataSchema,
});
export type AgentRun = z.infer<typeof AgentRunSchema>;

/** Body of a successful `POST /chat` (HTTP 200). */
export const ChatResponseSchema = z.object({
  requestId: z.string(),
  answer: z.string(),
  /** Agents in the order they ran, e.g. ["supervisor", "security", "support"]. */
  route: z.array(z.string()),
  agents: z.array(AgentRunSchema),
  totals: z.object({
    tokens: TokenUsageSchema,
    durationMs: z.number().nonnegative(),
    /** USD over all agents; null when any model that ran is unpriced. */
    costUsd: z.number().nonnegative().nullable(),
    unpricedModels: z.array(z.string()),
  }),
});
export type ChatResponse = z.infer<typeof ChatResponseSchema>;

/** Body of every non-2xx response of the agent service (and the dashboard API). */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** The request field at fault, for 4xx validation errors (e.g. "user.key"). */
    field: z.string().optional(),
    requestId: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
