import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { DEFAULT_MAX_TOKENS, type ModelRequest, type ModelResponse } from './model-types.js';

/** One chat completion over the OpenAI wire protocol (OpenAI, Mistral, llm-sim). */
export async function openaiChat(client: OpenAI, request: ModelRequest): Promise<ModelResponse> {
  const params: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    messages: toMessages(request),
  };
  // OpenAI replaced max_tokens with max_completion_tokens (its reasoning models reject max_tokens); Mistral's
  // compatible API knows only max_tokens.
  const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (request.provider === 'openai') {
    params.max_completion_tokens = maxTokens;
  } else {
    params.max_tokens = maxTokens;
  }
  if (request.temperature !== undefined) {
    params.temperature = request.temperature;
  }
  if (request.tools && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    params.tool_choice = request.toolChoice ?? 'auto';
  }
  if (request.structured) {
    params.response_format = {
      type: 'json_schema',
      json_schema: { name: request.structured.name, schema: request.structured.schema, strict: true },
    };
  }
  const options = { signal: request.signal };
  if (!request.stream) {
    return fromCompletion(await client.chat.completions.create(params, options));
  }
  const started = performance.now();
  let firstTokenAt: number | undefined;
  const stream = client.chat.completions.stream(
    { ...params, stream: true, stream_options: { include_usage: true } },
    options,
  );
  stream.on('chunk', (chunk) => {
    const delta = chunk.choices[0]?.delta;
    if (firstTokenAt === undefined && (delta?.content || delta?.tool_calls?.length)) {
      firstTokenAt = performance.now();
    }
  });
  const response = fromCompletion(await stream.finalChatCompletion());
  if (firstTokenAt !== undefined) {
    response.timeToFirstTokenMs = firstTokenAt - started;
  }
  return response;
}

function toMessages(request: ModelRequest): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (request.system) {
    out.push({ role: 'system', content: request.system });
  }
  for (const m of request.messages) {
    if (m.role === 'user') {
      out.push({ role: 'user', content: m.content });
    } else if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: m.content || null,
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      });
    } else {
      out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    }
  }
  return out;
}

function fromCompletion(completion: ChatCompletion): ModelResponse {
  const message = completion.choices[0]?.message;
  const input = completion.usage?.prompt_tokens ?? 0;
  const output = completion.usage?.completion_tokens ?? 0;
  return {
    text: message?.content ?? '',
    toolCalls: (message?.tool_calls ?? []).flatMap((call) =>
      call.type === 'function'
        ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
        : [],
    ),
    usage: { input, output, total: completion.usage?.total_tokens ?? input + output },
  };
}
