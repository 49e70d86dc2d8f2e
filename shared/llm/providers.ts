import { ConfigError } from '../errors.js';

/**
 * The LLM providers loadgen can call. Its own module, free of the SDKs, so that parsing a configuration
 * does not load them.
 */
export const PROVIDERS = ['openai', 'anthropic', 'mistral'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Normalises provider names as AI Configs spell them (`OpenAI`, `anthropic`, `mistralai`). */
export function normalizeProvider(name: string): Provider {
  const lower = name.toLowerCase();
  if (lower === 'openai' || lower === 'azure-openai') {
    return 'openai';
  }
  if (lower === 'anthropic') {
    return 'anthropic';
  }
  if (lower === 'mistral' || lower === 'mistralai') {
    return 'mistral';
  }
  throw new ConfigError(`unknown LLM provider "${name}" (expected openai, anthropic or mistral)`);
}
