import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import {
  createAnthropicClient,
  createOpenAIClient,
  type LlmSettings,
  type Provider,
} from '../../shared/llm-clients.js';
import { anthropicChat } from './anthropic-chat.js';
import type { ModelCaller, ModelRequest, ModelResponse } from './model-types.js';
import { openaiChat } from './openai-chat.js';

/**
 * The real {@link ModelCaller}: the raw `openai` SDK for OpenAI and Mistral, `@anthropic-ai/sdk` for
 * Anthropic, all pointed at llm-sim when `simUrl` is set. One client per provider, made on first use, so
 * that a provider no served variation needs never asks for its key.
 */
export class ProviderModelCaller implements ModelCaller {
  private readonly openai = new Map<'openai' | 'mistral', OpenAI>();
  private anthropic: Anthropic | undefined;

  constructor(private readonly settings: LlmSettings) {}

  call(request: ModelRequest): Promise<ModelResponse> {
    if (request.provider === 'anthropic') {
      this.anthropic ??= createAnthropicClient(this.settings);
      return anthropicChat(this.anthropic, request);
    }
    return openaiChat(this.openaiClient(request.provider), request);
  }

  private openaiClient(provider: Exclude<Provider, 'anthropic'>): OpenAI {
    let client = this.openai.get(provider);
    if (!client) {
      client = createOpenAIClient(this.settings, provider);
      this.openai.set(provider, client);
    }
    return client;
  }
}
