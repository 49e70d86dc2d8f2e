import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { hangUp, planChat, waitForAnswer, type ChatPlan } from './chat-flow.js';
import { anthropicModelNotFound } from './model-not-found.js';
import type { SimRequest } from './engine.js';
import { chunks, delay, hasApiKey, readBody } from './respond.js';
import type { SimState } from './sim-state.js';
import { countTokens } from './text.js';

const BlockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  input: z.unknown().optional(),
  content: z
    .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
    .optional(),
});
type Block = z.infer<typeof BlockSchema>;

const MessagesSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['user', 'assistant']),
        content: z.union([z.string(), z.array(BlockSchema)]),
      }),
    )
    .min(1),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string() }))]).optional(),
  tools: z.array(z.looseObject({ name: z.string().min(1), input_schema: z.unknown().optional() })).optional(),
  tool_choice: z
    .union([
      z.looseObject({ type: z.enum(['auto', 'any', 'none']) }),
      z.looseObject({ type: z.literal('tool'), name: z.string().min(1) }),
    ])
    .optional(),
  stream: z.boolean().optional(),
});
type MessagesBody = z.infer<typeof MessagesSchema>;

function blocks(content: string | Block[]): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function blockText(block: Block): string {
  if (block.type === 'text') {
    return block.text ?? '';
  }
  if (block.type === 'tool_result') {
    return typeof block.content === 'string'
      ? block.content
      : (block.content ?? []).map((part) => part.text ?? '').join('\n');
  }
  if (block.type === 'tool_use') {
    return JSON.stringify(block.input ?? {});
  }
  return '';
}

/** The Anthropic messages body without its wire format. */
export function toSimRequest(body: MessagesBody): SimRequest {
  const system =
    typeof body.system === 'string' ? body.system : (body.system ?? []).map((b) => b.text).join('\n');
  const userTexts = body.messages
    .filter((m) => m.role === 'user')
    .map((m) =>
      blocks(m.content)
        .filter((b) => b.type === 'text')
        .map(blockText)
        .join('\n'),
    )
    .filter((text) => text !== '');
  const last = body.messages.at(-1);
  const lastResults =
    last?.role === 'user' ? blocks(last.content).filter((b) => b.type === 'tool_result') : [];
  const allText = [system, ...body.messages.map((m) => blocks(m.content).map(blockText).join('\n'))].join(
    '\n',
  );
  const choice = body.tool_choice;
  return {
    model: body.model,
    system,
    userTexts,
    allText,
    lastToolResults: lastResults.length > 0 ? lastResults.map(blockText) : undefined,
    tools: (body.tools ?? []).map((t) => ({ name: t.name, parameters: t.input_schema })),
    toolChoice:
      choice === undefined || choice.type === 'auto'
        ? 'auto'
        : choice.type === 'any'
          ? 'required'
          : choice.type === 'none'
            ? 'none'
            : { name: (choice as { name: string }).name },
    structured: undefined,
    maxTokens: body.max_tokens,
    promptChars: allText.length + JSON.stringify(body.tools ?? []).length - 2,
  };
}

function error(c: Context, status: number, type: string, message: string): Response {
  return c.json({ type: 'error', error: { type, message } }, status as 400);
}

function faultResponse(c: Context, plan: ChatPlan): Response | undefined {
  switch (plan.fault) {
    case '429':
      c.header('retry-after', String(plan.retryAfterSeconds));
      return error(c, 429, 'rate_limit_error', 'Rate limit reached (simulated).');
    case '500':
      return error(c, 500, 'api_error', 'Internal server error (simulated).');
    case '529':
      return error(c, 529, 'overloaded_error', 'Overloaded (simulated).');
    default:
      return undefined;
  }
}

function content(plan: ChatPlan) {
  const output = plan.result.output;
  if (output.kind === 'tool_calls') {
    return output.calls.map((call) => ({
      type: 'tool_use' as const,
      id: call.id.replace(/^call_/, 'toolu_'),
      name: call.name,
      input: call.input,
    }));
  }
  return [{ type: 'text' as const, text: output.text }];
}

function stopReason(plan: ChatPlan): string {
  return plan.result.output.kind === 'tool_calls'
    ? 'tool_use'
    : plan.result.truncated
      ? 'max_tokens'
      : 'end_turn';
}

/** `POST /v1/messages` (Anthropic). */
export function anthropicRoutes(state: SimState): Hono {
  const app = new Hono();

  app.post('/messages', async (c) => {
    if (!hasApiKey(c)) {
      state.countRejected();
      return error(
        c,
        401,
        'authentication_error',
        'Missing API key: send x-api-key or Authorization: Bearer.',
      );
    }
    const read = await readBody(c, MessagesSchema);
    if (!read.ok) {
      state.countRejected();
      return error(c, 400, 'invalid_request_error', read.message);
    }
    const body = read.body;
    if (!state.model(body.model).listed) {
      // Anthropic's answer to a model id it does not serve (the SDK throws `NotFoundError`).
      state.countRejected();
      return anthropicModelNotFound(c, body.model);
    }
    const plan = planChat(state, c, 'anthropic', read.raw, body, toSimRequest(body), body.stream === true);
    const failed = faultResponse(c, plan);
    if (failed) {
      return failed;
    }
    if (plan.fault === 'hang') {
      return hangUp(state, c);
    }
    const id = `msg_${plan.random.int(0, 0x7fffffff).toString(36)}${plan.random.int(0, 0x7fffffff).toString(36)}`;
    if (body.stream) {
      return streamMessage(c, plan, id, body.model);
    }
    await waitForAnswer(c, plan.result);
    if (plan.fault === 'malformed') {
      return c.body(`{"id":"${id}","type":"message","content":[{"type":"text","text":"`, 200, {
        'content-type': 'application/json',
      });
    }
    return c.json({
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: content(plan),
      stop_reason: stopReason(plan),
      stop_sequence: null,
      usage: { input_tokens: plan.result.inputTokens, output_tokens: plan.result.outputTokens },
    });
  });

  return app;
}

function streamMessage(c: Context, plan: ChatPlan, id: string, model: string): Response {
  const signal = c.req.raw.signal;
  const { result } = plan;
  return streamSSE(c, async (stream) => {
    const send = (event: string, data: object) =>
      stream.writeSSE({ event, data: JSON.stringify({ type: event, ...data }) });
    await delay(result.ttftMs, signal);
    await send('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: result.inputTokens, output_tokens: 1 },
      },
    });
    await send('ping', {});
    for (const [index, block] of content(plan).entries()) {
      if (block.type === 'tool_use') {
        await send('content_block_start', { index, content_block: { ...block, input: {} } });
        for (const piece of chunks(JSON.stringify(block.input), 8)) {
          await delay(result.perTokenMs * countTokens(piece), signal);
          if (plan.fault === 'malformed') {
            await stream.writeSSE({
              event: 'content_block_delta',
              data: `{"type":"content_block_delta","delta":{"partial_json":"`,
            });
            return;
          }
          await send('content_block_delta', {
            index,
            delta: { type: 'input_json_delta', partial_json: piece },
          });
        }
      } else {
        await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
        const pieces = chunks(block.text);
        for (const [i, piece] of pieces.entries()) {
          await delay(result.perTokenMs * Math.round(result.outputTokens / pieces.length), signal);
          if (plan.fault === 'malformed' && i === Math.floor(pieces.length / 2)) {
            await stream.writeSSE({
              event: 'content_block_delta',
              data: `{"type":"content_block_delta","delta":{"text":"`,
            });
            return;
          }
          await send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
        }
      }
      await send('content_block_stop', { index });
    }
    await send('message_delta', {
      delta: { stop_reason: stopReason(plan), stop_sequence: null },
      usage: { output_tokens: result.outputTokens },
    });
    await send('message_stop', {});
  });
}
