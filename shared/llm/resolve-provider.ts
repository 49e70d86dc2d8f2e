import { calcPrice } from '@pydantic/genai-prices';
import { ConfigError } from '../errors.js';
import { normalizeProvider, PROVIDERS, type Provider } from './providers.js';

export interface ResolveProviderOptions {
  /** The provider the manifest, the AI Config or a setting names; it wins over the model's name. */
  provider?: string | undefined;
  /** What sets the provider explicitly (an env variable, an option), named in the error for an unknown model. */
  setting?: string | undefined;
}

/**
 * The provider that serves `model`: the one named explicitly (the manifest's or AI Config's provider, or a
 * setting such as `JUDGE_PROVIDER`), else inferred from the model id (`claude*` Anthropic; `gpt*`, `o1`…,
 * `chatgpt*` OpenAI; `*stral*` Mistral), else the provider the price database (`@pydantic/genai-prices`) lists
 * for it. A model none of these knows is a `ConfigError` naming the model: one rule for every caller (agent
 * service, judge, producer), instead of guessing a provider that would answer 404 on every call.
 */
export function resolveProvider(model: string, options: ResolveProviderOptions = {}): Provider {
  if (options.provider) {
    return normalizeProvider(options.provider);
  }
  const inferred = providerFromName(model) ?? providerFromPrices(model);
  if (inferred) {
    return inferred;
  }
  const how = options.setting ? `set ${options.setting} to` : 'name its provider:';
  throw new ConfigError(
    `cannot infer the provider of model "${model}" (neither its name nor the price database says); ${how} ${PROVIDERS.join(', ')}`,
  );
}

function providerFromName(model: string): Provider | undefined {
  const lower = model.toLowerCase();
  if (lower.startsWith('claude')) {
    return 'anthropic';
  }
  if (/^(gpt|o\d|chatgpt)/.test(lower)) {
    return 'openai';
  }
  // mistral, ministral, open-mistral, codestral, devstral, magistral
  if (lower.includes('stral')) {
    return 'mistral';
  }
  return undefined;
}

function providerFromPrices(model: string): Provider | undefined {
  const id = calcPrice({ input_tokens: 1 }, model)?.provider.id;
  return (PROVIDERS as readonly string[]).includes(id ?? '') ? (id as Provider) : undefined;
}
