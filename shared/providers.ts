/**
 * The LLM providers loadgen can call. Its own module, free of the SDKs, so that parsing a configuration
 * does not load them.
 */
export const PROVIDERS = ['openai', 'anthropic', 'mistral'] as const;
export type Provider = (typeof PROVIDERS)[number];
