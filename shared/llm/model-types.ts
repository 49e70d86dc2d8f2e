import type { TokenUsage } from '../chat.js';
import type { Provider } from './providers.js';

/** A tool call the model asked for. */
export interface ModelToolCall {
  id: string;
  name: string;
  /** The arguments as the model sent them (a JSON string), parsed by the caller. */
  arguments: string;
}

/** A provider-neutral conversation message; each provider module maps it to its wire format. */
export type ModelMessage =
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      toolCalls?: ModelToolCall[];
      /** The provider's reasoning blocks of this turn, sent back unchanged (see {@link ModelResponse.reasoning}). */
      reasoning?: unknown[];
    }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface ModelToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  provider: Provider;
  model: string;
  system?: string | undefined;
  messages: ModelMessage[];
  tools?: ModelToolSpec[];
  /** `none` keeps the tools visible (a conversation with tool calls needs them) but forbids new calls. */
  toolChoice?: 'auto' | 'none';
  /**
   * Ask for JSON matching `schema` (OpenAI: strict structured outputs; Anthropic: a forced tool named `name`,
   * described by `description`). The JSON comes back as the response text; read it with `structuredOutput`.
   */
  structured?: { name: string; schema: Record<string, unknown>; description?: string } | undefined;
  temperature?: number | undefined;
  /** Output token cap: `max_completion_tokens` for OpenAI, `max_tokens` for Mistral and Anthropic. */
  maxTokens?: number | undefined;
  /** Stream the response (measures time to first token). */
  stream?: boolean;
  signal?: AbortSignal | undefined;
}

export interface ModelResponse {
  /** The model's text; for structured output the JSON text. */
  text: string;
  toolCalls: ModelToolCall[];
  usage: TokenUsage;
  /** Milliseconds from sending the request to the first streamed token (streaming only). */
  timeToFirstTokenMs?: number;
  /**
   * Anthropic's `thinking` / `redacted_thinking` blocks, when the model thought (Claude Opus 5.5 always does).
   * A tool loop must send them back first in the assistant turn, as they came, for the model to go on.
   */
  reasoning?: unknown[];
}

/**
 * Calls an LLM provider. The real one is {@link ProviderModelCaller}; its interface keeps callers testable.
 * A failed call rejects with an `LlmError`.
 */
export interface ModelCaller {
  call(request: ModelRequest): Promise<ModelResponse>;
}

/** Default `max_tokens` when an AI Config sets none (Anthropic requires one). */
export const DEFAULT_MAX_TOKENS = 1024;
