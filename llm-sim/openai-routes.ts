import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { hangUp, planChat, waitForAnswer, type ChatPlan } from './chat-flow.js';
import { openAIModelNotFound } from './model-not-found.js';
import { sample } from './distribution.js';
import type { SimRequest } from './engine.js';
import { embed } from './embeddings.js';
import { chunks, delay, hasApiKey, readBody } from './respond.js';
import type { SimState } from './sim-state.js';
import { countTokens } from './text.js';

const ContentSchema = z.union([
  z.string(),
  z.null(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
]);

const MessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: ContentSchema.optional(),
  tool_calls: z
    .array(
      z.looseObject({ id: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string() }) }),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});

const ChatSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageSchema).min(1),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({ name: z.string().min(1), parameters: z.unknown().optional() }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.looseObject({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
    ])
    .optional(),
  response_format: z
    .union([
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({ name: z.string().min(1), schema: z.unknown().optional() }),
      }),
    ])
    .optional(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});
type ChatBody = z.infer<typeof ChatSchema>;

const EmbeddingsSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  dimensions: z.number().int().min(1).max(4096).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

function textOf(content: z.infer<typeof ContentSchema> | undefined): string {
  if (typeof content === 'string') {
    return content;
  }
  return (content ?? []).map((part) => part.text ?? '').join('\n');
}

/** The OpenAI chat body without its wire format. */
export function toSimRequest(body: ChatBody): SimRequest {
  const system = body.messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content));
  const userTexts = body.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content));
  let trailingTools: string[] | undefined;
  for (let i = body.messages.length - 1; i >= 0 && body.messages[i]?.role === 'tool'; i--) {
    (trailingTools ??= []).unshift(textOf(body.messages[i]?.content));
  }
  const allText = body.messages
    .map((m) => `${textOf(m.content)} ${(m.tool_calls ?? []).map((t) => t.function.arguments).join(' ')}`)
    .join('\n');
  const format = body.response_format;
  const choice = body.tool_choice;
  return {
    model: body.model,
    system: system.join('\n'),
    userTexts,
    allText,
    lastToolResults: trailingTools,
    tools: (body.tools ?? []).map((t) => ({ name: t.function.name, parameters: t.function.parameters })),
    toolChoice:
      choice === undefined ? 'auto' : typeof choice === 'string' ? choice : { name: choice.function.name },
    structured:
      format?.type === 'json_schema'
        ? { name: format.json_schema.name, schema: format.json_schema.schema }
        : format?.type === 'json_object'
          ? { name: undefined, schema: undefined }
          : undefined,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    promptChars: allText.length + JSON.stringify(body.tools ?? []).length - 2,
  };
}

function error(
  c: Context,
  status: number,
  message: string,
  type: string,
  param?: string,
  code?: string,
): Response {
  return c.json({ error: { message, type, param: param ?? null, code: code ?? null } }, status as 400);
}

function modelNotFound(c: Context, state: SimState, model: string): Response {
  state.countRejected();
  return openAIModelNotFound(c, model);
}

function faultResponse(c: Context, plan: ChatPlan): Response | undefined {
  switch (plan.fault) {
    case '429':
      c.header('retry-after', String(plan.retryAfterSeconds));
      return error(c, 429, 'Rate limit reached (simulated).', 'rate_limit_exceeded');
    case '500':
      return error(
        c,
        500,
        'The server had an error while processing your request (simulated).',
        'server_error',
      );
    case '529':
      return error(c, 529, 'The engine is currently overloaded (simulated).', 'overloaded_error');
    default:
      return undefined;
  }
}

function message(plan: ChatPlan) {
  const output = plan.result.output;
  if (output.kind === 'tool_calls') {
    return {
      role: 'assistant' as const,
      content: null,
      refusal: null,
      tool_calls: output.calls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: JSON.stringify(call.input) },
      })),
    };
  }
  return { role: 'assistant' as const, content: output.text, refusal: null };
}

function finishReason(plan: ChatPlan): string {
  return plan.result.output.kind === 'tool_calls' ? 'tool_calls' : plan.result.truncated ? 'length' : 'stop';
}

function usage(plan: ChatPlan) {
  const { inputTokens, outputTokens } = plan.result;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

/** `POST /v1/chat/completions`, `POST /v1/embeddings` (OpenAI; Mistral uses the same). */
export function openAIRoutes(state: SimState): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    if (!hasApiKey(c)) {
      state.countRejected();
      return error(
        c,
        401,
        'Missing API key: send Authorization: Bearer <key> or x-api-key.',
        'invalid_request_error',
      );
    }
    return next();
  });

  app.post('/chat/completions', async (c) => {
    const read = await readBody(c, ChatSchema);
    if (!read.ok) {
      state.countRejected();
      return error(c, 400, read.message, 'invalid_request_error', read.param);
    }
    const body = read.body;
    if (!state.model(body.model).listed) {
      return modelNotFound(c, state, body.model);
    }
    const plan = planChat(state, c, 'openai', read.raw, body, toSimRequest(body), body.stream === true);
    const failed = faultResponse(c, plan);
    if (failed) {
      return failed;
    }
    if (plan.fault === 'hang') {
      return hangUp(state, c);
    }
    const id = `chatcmpl-${plan.random.int(0, 0x7fffffff).toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      return streamChat(c, plan, {
        id,
        created,
        model: body.model,
        usage: body.stream_options?.include_usage,
      });
    }
    await waitForAnswer(c, plan.result);
    if (plan.fault === 'malformed') {
      return c.body(
        `{"id":"${id}","object":"chat.completion","choices":[{"index":0,"message":{"content":"`,
        200,
        {
          'content-type': 'application/json',
        },
      );
    }
    return c.json({
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      system_fingerprint: 'llm-sim',
      choices: [{ index: 0, message: message(plan), logprobs: null, finish_reason: finishReason(plan) }],
      usage: usage(plan),
    });
  });

  app.post('/embeddings', async (c) => {
    const read = await readBody(c, EmbeddingsSchema);
    if (!read.ok) {
      state.countRejected();
      return error(c, 400, read.message, 'invalid_request_error', read.param);
    }
    const { model, input, dimensions, encoding_format: encoding } = read.body;
    if (!state.model(model).listed) {
      return modelNotFound(c, state, model);
    }
    state.record(c.req.path, 'openai', model, read.body);
    const texts = typeof input === 'string' ? [input] : input;
    const tokens = texts.reduce((n, t) => n + countTokens(t), 0);
    state.countUsage(model, { inputTokens: tokens, outputTokens: 0 });
    const { model: profile } = state.model(model);
    await delay(sample(profile.latency.ttftMs, state.randomFor(read.raw)), c.req.raw.signal);
    const dims = dimensions ?? state.profile.embeddingDimensions;
    return c.json({
      object: 'list',
      model,
      data: texts.map((text, index) => {
        const vector = embed(text, dims);
        const embedding = encoding === 'base64' ? Buffer.from(vector.buffer).toString('base64') : [...vector];
        return { object: 'embedding', index, embedding };
      }),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });

  return app;
}

function streamChat(
  c: Context,
  plan: ChatPlan,
  meta: { id: string; created: number; model: string; usage: boolean | undefined },
): Response {
  const signal = c.req.raw.signal;
  const chunk = (delta: object, finish: string | null = null) =>
    JSON.stringify({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      system_fingerprint: 'llm-sim',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  return streamSSE(c, async (stream) => {
    const { result } = plan;
    await delay(result.ttftMs, signal);
    await stream.writeSSE({ data: chunk({ role: 'assistant', content: '', refusal: null }) });
    if (result.output.kind === 'tool_calls') {
      for (const [index, call] of result.output.calls.entries()) {
        const args = JSON.stringify(call.input);
        await stream.writeSSE({
          data: chunk({
            tool_calls: [
              { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
            ],
          }),
        });
        for (const piece of chunks(args, 8)) {
          await delay(result.perTokenMs * countTokens(piece), signal);
          if (plan.fault === 'malformed') {
            await stream.writeSSE({ data: `{"id":"${meta.id}","choices":[{"delta":{"tool_calls":[` });
            return;
          }
          await stream.writeSSE({ data: chunk({ tool_calls: [{ index, function: { arguments: piece } }] }) });
        }
      }
    } else {
      const pieces = chunks(result.output.text);
      for (const [i, piece] of pieces.entries()) {
        await delay(result.perTokenMs * Math.round(result.outputTokens / pieces.length), signal);
        if (plan.fault === 'malformed' && i === Math.floor(pieces.length / 2)) {
          await stream.writeSSE({ data: `{"id":"${meta.id}","choices":[{"delta":{"content":"` });
          return;
        }
        await stream.writeSSE({ data: chunk({ content: piece }) });
      }
    }
    await stream.writeSSE({ data: chunk({}, finishReason(plan)) });
    if (meta.usage) {
      await stream.writeSSE({
        data: JSON.stringify({
          id: meta.id,
          object: 'chat.completion.chunk',
          created: meta.created,
          model: meta.model,
          choices: [],
          usage: usage(plan),
        }),
      });
    }
    await stream.writeSSE({ data: '[DONE]' });
  });
}
