import type { Context } from 'hono';
import type { z } from 'zod';
import { describeZodError } from '../shared/errors.js';

/** Waits `ms`, or less if the client goes away. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export type BodyResult<T> =
  { ok: true; raw: string; body: T } | { ok: false; message: string; param?: string };

/** Reads and validates a JSON body; a bad one gives a message naming the field. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<BodyResult<z.infer<S>>> {
  const raw = await c.req.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'the request body is not valid JSON' };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0];
    return { ok: false, message: describeZodError(result.error), param: first?.path.join('.') };
  }
  return { ok: true, raw, body: result.data };
}

/** The API key the SDKs send: `Authorization: Bearer` (OpenAI, Anthropic 1.x) or `x-api-key`. */
export function hasApiKey(c: Context): boolean {
  const auth = c.req.header('authorization') ?? '';
  const bearer = /^Bearer\s+\S+/i.test(auth);
  return bearer || (c.req.header('x-api-key') ?? '').trim() !== '';
}

/** Splits `text` into about `pieces` stream chunks of whole characters. */
export function chunks(text: string, pieces = 40): string[] {
  const size = Math.max(16, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) {
    out.push(text.slice(i, i + size));
  }
  return out.length > 0 ? out : [''];
}
