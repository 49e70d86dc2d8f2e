import type Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import { DEFAULT_MAX_TOKENS, type ModelRequest, type ModelResponse } from './model-types.js';

/**
 * One message over the Anthropic wire protocol. Structured output is a forced tool call named after the
 * structure, whose input is the JSON; it comes back as the response text.
 */
export async function anthropicChat(client: Anthropic, request: ModelRequest): Promise<ModelResponse> {
  const params: MessageCreateParamsNonStreaming = {
    model: request.model,
    messages: toMessages(request),
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
  };
  if (request.system) {
    params.system = request.system;
  }
  if (request.temperature !== undefined) {
    // SDK 1.x dropped `temperature` from its types (the newest models reject it); the models the AI Configs
    // name accept it, so it is sent as the config says.
    (params as MessageCreateParamsNonStreaming & { temperature?: number }).temperature = request.temperature;
  }
  const structured = request.structured;
  if (structured) {
    params.tools = [
      {
        name: structured.name,
        description: structured.description ?? 'Return the answer as this structure.',
        input_schema: structured.schema as { type: 'object' },
      },
    ];
    params.tool_choice = { type: 'tool', name: structured.name };
  } else if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters as { type: 'object' },
    }));
    params.tool_choice = request.toolChoice === 'none' ? { type: 'none' } : { type: 'auto' };
  }
  const options = { signal: request.signal };
  if (!request.stream) {
    return fromMessage(await client.messages.create(params, options), structured?.name);
  }
  const started = performance.now();
  let firstTokenAt: number | undefined;
  const stream = client.messages.stream(params, options);
  stream.on('streamEvent', (event) => {
    if (firstTokenAt === undefined && event.type === 'content_block_delta') {
      firstTokenAt = performance.now();
    }
  });
  const response = fromMessage(await stream.finalMessage(), structured?.name);
  if (firstTokenAt !== undefined) {
    response.timeToFirstTokenMs = firstTokenAt - started;
  }
  return response;
}

function toMessages(request: ModelRequest): MessageParam[] {
  const out: MessageParam[] = [];
  for (const m of request.messages) {
    if (m.role === 'user') {
      out.push({ role: 'user', content: m.content });
    } else if (m.role === 'assistant') {
      const blocks: ContentBlockParam[] = [
        ...((m.reasoning ?? []) as ContentBlockParam[]),
        ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
      ];
      for (const call of m.toolCalls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseObject(call.arguments) });
      }
      out.push({ role: 'assistant', content: blocks });
    } else {
      // Anthropic wants every result of one assistant turn in a single user message.
      const result: ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: m.toolCallId,
        content: m.content,
      };
      const last = out[out.length - 1];
      if (last?.role === 'user' && Array.isArray(last.content) && last.content[0]?.type === 'tool_result') {
        last.content.push(result);
      } else {
        out.push({ role: 'user', content: [result] });
      }
    }
  }
  return out;
}

function fromMessage(message: Message, structuredName: string | undefined): ModelResponse {
  const input = message.usage.input_tokens;
  const output = message.usage.output_tokens;
  let text = '';
  const toolCalls: ModelResponse['toolCalls'] = [];
  const reasoning: unknown[] = [];
  for (const block of message.content) {
    if (block.type === 'thinking' || block.type === 'redacted_thinking') {
      reasoning.push(block);
    } else if (block.type === 'text') {
      text += block.text;
    } else if (block.type === 'tool_use') {
      if (block.name === structuredName) {
        text = JSON.stringify(block.input);
      } else {
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
      }
    }
  }
  // Anthropic's usage has no total.
  return {
    text,
    toolCalls,
    usage: { input, output, total: input + output },
    ...(reasoning.length > 0 ? { reasoning } : {}),
  };
}

function parseObject(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
