import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { createAnthropicClient, createOpenAIClient, type LlmSettings, type Provider } from './clients.js';
import { SpanKind, withSpan } from '../telemetry.js';
import { anthropicChat } from './anthropic-chat.js';
import { toLlmError } from './llm-error.js';
import type { ModelCaller, ModelRequest, ModelResponse } from './model-types.js';
import { openaiChat } from './openai-chat.js';

/**
 * The real {@link ModelCaller}: the raw `openai` SDK for OpenAI and Mistral, `@anthropic-ai/sdk` for
 * Anthropic, all pointed at llm-sim when `simUrl` is set. One client per provider, made on first use, so
 * that a provider no call needs never asks for its key. A failed call rejects with an `LlmError`.
 */
export class ProviderModelCaller implements ModelCaller {
  private readonly openai = new Map<'openai' | 'mistral', OpenAI>();
  private anthropic: Anthropic | undefined;

  /** `needFor` names what needs a missing key, in its `ConfigError` (default: the provider). */
  constructor(
    private readonly settings: LlmSettings,
    private readonly needFor?: string,
  ) {}

  /** One model call, in a `chat <model>` span with the GenAI conventions' attributes (when tracing is on). */
  async call(request: ModelRequest): Promise<ModelResponse> {
    const { provider, model } = request;
    // Made outside the try: a missing key is a ConfigError to fix, not a failed call.
    const client = provider === 'anthropic' ? this.anthropicClient() : this.openaiClient(provider);
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': provider === 'mistral' ? 'mistral_ai' : provider,
      'gen_ai.request.model': model,
    };
    return withSpan(`chat ${model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const response =
          provider === 'anthropic'
            ? await anthropicChat(client as Anthropic, request)
            : await openaiChat(client as OpenAI, request);
        span.setAttributes({
          'gen_ai.usage.input_tokens': response.usage.input,
          'gen_ai.usage.output_tokens': response.usage.output,
        });
        return response;
      } catch (err) {
        throw toLlmError(err, { provider, model });
      }
    });
  }

  private anthropicClient(): Anthropic {
    this.anthropic ??= createAnthropicClient(this.settings, this.needFor);
    return this.anthropic;
  }

  private openaiClient(provider: Exclude<Provider, 'anthropic'>): OpenAI {
    let client = this.openai.get(provider);
    if (!client) {
      client = createOpenAIClient(this.settings, provider, this.needFor);
      this.openai.set(provider, client);
    }
    return client;
  }
}
