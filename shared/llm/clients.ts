import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ConfigError } from '../errors.js';
import { fetchOverUndici } from '../http-client.js';
import type { Provider } from './providers.js';

export { normalizeProvider, PROVIDERS, type Provider } from './providers.js';

export interface LlmSettings {
  /** When set, every provider's calls go to this llm-sim base URL. */
  simUrl?: string | undefined;
  openaiApiKey?: string | undefined;
  anthropicApiKey?: string | undefined;
  mistralApiKey?: string | undefined;
  /** SDK-level retries; the callers here handle retries themselves, so the default is none. */
  maxRetries?: number;
  timeoutMs?: number;
}

const ENV_NAME: Record<Provider, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  mistral: 'MISTRAL_API_KEY',
};

const MISTRAL_BASE_URL = 'https://api.mistral.ai/v1';
const SIM_KEY = 'llm-sim';

export type LlmMode = 'simulated' | 'live';

export function llmMode(settings: LlmSettings): LlmMode {
  return settings.simUrl ? 'simulated' : 'live';
}

function apiKey(settings: LlmSettings, provider: Provider, needFor: string): string {
  if (settings.simUrl) {
    return SIM_KEY;
  }
  const key =
    provider === 'openai'
      ? settings.openaiApiKey
      : provider === 'anthropic'
        ? settings.anthropicApiKey
        : settings.mistralApiKey;
  if (!key) {
    throw new ConfigError(
      `${needFor} needs ${ENV_NAME[provider]} (live mode), or set LLM_SIM_URL to simulate`,
    );
  }
  return key;
}

/** Throws unless `provider` can be called: keyed, or simulated. `needFor` names what needs it. */
export function assertProviderAvailable(settings: LlmSettings, provider: Provider, needFor: string): void {
  apiKey(settings, provider, needFor);
}

function simBase(settings: LlmSettings): string {
  return (settings.simUrl as string).replace(/\/+$/, '');
}

/** An OpenAI client (also used for Mistral, whose API is OpenAI-compatible). */
export function createOpenAIClient(
  settings: LlmSettings,
  provider: 'openai' | 'mistral' = 'openai',
  needFor: string = provider,
): OpenAI {
  const baseURL = settings.simUrl
    ? `${simBase(settings)}/v1`
    : provider === 'mistral'
      ? MISTRAL_BASE_URL
      : undefined;
  return new OpenAI({
    apiKey: apiKey(settings, provider, needFor),
    baseURL,
    maxRetries: settings.maxRetries ?? 0,
    timeout: settings.timeoutMs ?? 120_000,
    fetch: fetchOverUndici,
  });
}

/** An Anthropic client. Its base URL has no `/v1`; the SDK adds it. */
export function createAnthropicClient(settings: LlmSettings, needFor = 'anthropic'): Anthropic {
  return new Anthropic({
    apiKey: apiKey(settings, 'anthropic', needFor),
    baseURL: settings.simUrl ? simBase(settings) : undefined,
    maxRetries: settings.maxRetries ?? 0,
    timeout: settings.timeoutMs ?? 120_000,
    fetch: fetchOverUndici,
  });
}
