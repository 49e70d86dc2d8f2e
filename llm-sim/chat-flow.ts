import type { Context } from 'hono';
import type { Random } from '../shared/random.js';
import { simulate, type SimRequest, type SimResult } from './engine.js';
import type { FaultKind } from './profile.js';
import { delay } from './respond.js';
import type { SimState } from './sim-state.js';

/** What a provider route needs to turn the simulation into its wire format. */
export interface ChatPlan {
  result: SimResult;
  fault: FaultKind | undefined;
  retryAfterSeconds: number;
  random: Random;
}

/**
 * The provider-independent part of a chat request: record it, pick a fault, simulate the answer, count usage.
 * A fault's request is recorded and counted but uses no tokens.
 */
export function planChat(
  state: SimState,
  c: Context,
  provider: 'openai' | 'anthropic',
  raw: string,
  body: unknown,
  request: SimRequest,
  streamed: boolean,
): ChatPlan {
  state.record(c.req.path, provider, request.model, body);
  const random = state.randomFor(raw);
  const { name, model } = state.model(request.model);
  const fault = state.faultFor(request.model, name, model, random);
  const result = simulate(request, model, state.profile, random);
  if (fault) {
    state.countFault(request.model, fault);
  } else {
    state.countUsage(request.model, {
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      toolCalls: result.output.kind === 'tool_calls' ? result.output.calls.length : 0,
      streamed,
      verdict: result.verdict,
    });
  }
  return { result, fault, retryAfterSeconds: model.faults.retryAfterSeconds, random };
}

/** Waits as long as generating the whole answer takes (non-streaming responses). */
export function waitForAnswer(c: Context, result: SimResult): Promise<void> {
  return delay(result.ttftMs + result.perTokenMs * result.outputTokens, c.req.raw.signal);
}

/** Hangs (until the client gives up or the server closes) and returns an empty response. */
export async function hangUp(state: SimState, c: Context): Promise<Response> {
  await state.hang(c.req.raw.signal);
  return c.body(null, 504);
}
