import type { z } from 'zod';
import { ConfigError } from '../shared/errors.js';
import {
  createAnthropicClient,
  createOpenAIClient,
  type LlmSettings,
  type Provider,
} from '../shared/llm-clients.js';
import { describeZodError } from '../shared/jobs.js';
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

/** The provider that serves a model id: `claude-*` Anthropic, `mistral-*`/`*stral*` Mistral, else OpenAI. */
export function providerOf(model: string): Provider {
  const lower = model.toLowerCase();
  if (lower.startsWith('claude')) {
    return 'anthropic';
  }
  if (lower.includes('stral')) {
    return 'mistral';
  }
  return 'openai';
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
 * A {@link JsonModel} on the real SDK clients (pointed at llm-sim when `settings.simUrl` is set). The SDKs
 * retry 429s and 5xx themselves (`maxRetries`, default 2 here), honouring Retry-After.
 */
export function createJsonModel(settings: LlmSettings, model: string, prices: PriceTable): JsonModel {
  const provider = providerOf(model);
  const withRetries = { ...settings, maxRetries: settings.maxRetries ?? 2 };
  const needFor = `query generation with ${model}`;
  const price = (inputTokens: number, outputTokens: number) => {
    const cost = prices.cost(model, inputTokens, outputTokens);
    return cost.priced ? { costUsd: cost.usd, priced: true } : { costUsd: 0, priced: false };
  };

  if (provider === 'anthropic') {
    const client = createAnthropicClient(withRetries, needFor);
    return {
      provider,
      model,
      async complete<T>(request: JsonRequest<T>): Promise<JsonAnswer<T>> {
        const response = await client.messages.create({
          model,
          max_tokens: request.maxTokens,
          system: request.system,
          messages: [{ role: 'user', content: request.user }],
          tools: [
            {
              name: request.name,
              description: 'Record the answer.',
              input_schema: request.jsonSchema as { type: 'object' },
            },
          ],
          tool_choice: { type: 'tool', name: request.name },
        });
        const call = response.content.find((block) => block.type === 'tool_use');
        if (!call) {
          throw new Error(`${model} did not call ${request.name}`);
        }
        const { input_tokens: inputTokens, output_tokens: outputTokens } = response.usage;
        return {
          value: parse(request.schema, call.input, model),
          inputTokens,
          outputTokens,
          ...price(inputTokens, outputTokens),
        };
      },
    };
  }

  const client = createOpenAIClient(withRetries, provider, needFor);
  return {
    provider,
    model,
    async complete<T>(request: JsonRequest<T>): Promise<JsonAnswer<T>> {
      const response = await client.chat.completions.create({
        model,
        max_tokens: request.maxTokens,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: request.name, schema: request.jsonSchema, strict: true },
        },
      });
      const content = response.choices[0]?.message.content;
      if (!content) {
        throw new Error(`${model} returned no content`);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(content);
      } catch {
        throw new Error(`${model} returned text that is not JSON: ${content.slice(0, 80)}`);
      }
      const inputTokens = response.usage?.prompt_tokens ?? 0;
      const outputTokens = response.usage?.completion_tokens ?? 0;
      return {
        value: parse(request.schema, raw, model),
        inputTokens,
        outputTokens,
        ...price(inputTokens, outputTokens),
      };
    },
  };
}
