import type { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import { describeZodError } from '../shared/errors.js';
import {
  assertProviderAvailable,
  ProviderModelCaller,
  resolveProvider,
  structuredOutput,
  type LlmSettings,
  type ModelCaller,
  type Provider,
} from '../shared/llm/index.js';
import type { PriceTable } from '../shared/pricing.js';

export interface JsonRequest<T> {
  /** Instructions; the simulator and the models treat the user message as the material. */
  system: string;
  user: string;
  /** Name of the structured output (OpenAI) or forced tool (Anthropic). */
  name: string;
  /** JSON Schema sent to the provider (kept to what strict structured outputs accept). */
  jsonSchema: Record<string, unknown>;
  /** What the answer must parse as. */
  schema: z.ZodType<T>;
  maxTokens: number;
}

export interface JsonAnswer<T> {
  value: T;
  inputTokens: number;
  outputTokens: number;
  /** USD; 0 when the model is unpriced (the caller is told through `priced`). */
  costUsd: number;
  priced: boolean;
}

/** Asks one model for JSON matching a schema, whichever provider serves it. */
export interface JsonModel {
  readonly provider: Provider;
  readonly model: string;
  complete<T>(request: JsonRequest<T>): Promise<JsonAnswer<T>>;
}

/** The generation model when none is given: a small one from the first provider that has a key. */
export function defaultGenerationModel(settings: LlmSettings): string {
  if (!settings.simUrl && !settings.openaiApiKey) {
    if (settings.anthropicApiKey) {
      return 'claude-haiku-4-5';
    }
    if (settings.mistralApiKey) {
      return 'mistral-small-latest';
    }
  }
  return 'gpt-4o-mini';
}

const KEY_ENV: Record<Provider, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  mistral: 'MISTRAL_API_KEY',
};

/** Whether a provider refused the key (401) or the model (403): every further call would fail the same way. */
export function isAuthError(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return status === 401 || status === 403;
}

/**
 * The error to stop generation with when the provider refused the key: a `ConfigError` (fix the key, exit 2)
 * naming the variable, with the SDK's error as `cause`.
 */
export function authFailure(model: JsonModel, err: unknown): ConfigError {
  const status = (err as { status?: unknown }).status;
  return new ConfigError(
    `${model.provider} refused query generation with ${model.model} (${String(status)}: ` +
      `${(err as Error).message}): check ${KEY_ENV[model.provider]}`,
    { cause: err },
  );
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, model: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new Error(
      `${model} answered JSON that does not match the schema: ${describeZodError(result.error)}`,
    );
  }
  return result.data;
}

/**
 * A {@link JsonModel} on the shared model layer (the real SDK clients, pointed at llm-sim when
 * `settings.simUrl` is set). The provider is resolved from the model id (`resolveProvider`: a model it cannot
 * place is a `ConfigError`). The SDKs retry 429s and 5xx themselves (`maxRetries`, default 2 here), honouring
 * Retry-After; a call that still fails rejects with an `LlmError` (its `status` tells `isAuthError`).
 */
export function createJsonModel(
  settings: LlmSettings,
  model: string,
  prices: PriceTable,
  models?: ModelCaller,
): JsonModel {
  const provider = resolveProvider(model);
  const withRetries = { ...settings, maxRetries: settings.maxRetries ?? 2 };
  const needFor = `query generation with ${model}`;
  assertProviderAvailable(withRetries, provider, needFor);
  const caller = models ?? new ProviderModelCaller(withRetries, needFor);
  return {
    provider,
    model,
    async complete<T>(request: JsonRequest<T>): Promise<JsonAnswer<T>> {
      const response = await caller.call({
        provider,
        model,
        maxTokens: request.maxTokens,
        system: request.system,
        messages: [{ role: 'user', content: request.user }],
        structured: { name: request.name, schema: request.jsonSchema, description: 'Record the answer.' },
      });
      const output = structuredOutput(response, request.name);
      if (!output.ok) {
        throw new Error(`${model} answered no usable ${request.name}: ${output.problem}`);
      }
      const { input: inputTokens, output: outputTokens } = response.usage;
      const cost = prices.cost(model, inputTokens, outputTokens);
      return {
        value: parse(request.schema, output.value, model),
        inputTokens,
        outputTokens,
        ...(cost.priced ? { costUsd: cost.usd, priced: true } : { costUsd: 0, priced: false }),
      };
    },
  };
}
