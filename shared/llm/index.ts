/**
 * The one model layer: provider resolution (one rule for an unknown model), calls with structured output and
 * usage over the real OpenAI and Anthropic SDKs, and provider errors mapped once to `LlmError`. Used by the
 * agent service, the judge and the producer.
 */
export {
  assertProviderAvailable,
  createAnthropicClient,
  createOpenAIClient,
  llmMode,
  normalizeProvider,
  PROVIDERS,
  type LlmMode,
  type LlmSettings,
  type Provider,
} from './clients.js';
export { LlmError, maskedDetail, toLlmError, type LlmErrorKind } from './llm-error.js';
export {
  DEFAULT_MAX_TOKENS,
  type ModelCaller,
  type ModelMessage,
  type ModelRequest,
  type ModelResponse,
  type ModelToolCall,
  type ModelToolSpec,
} from './model-types.js';
export { ProviderModelCaller } from './provider-model-caller.js';
export { resolveProvider, type ResolveProviderOptions } from './resolve-provider.js';
export { structuredOutput, type StructuredOutput } from './structured-output.js';
