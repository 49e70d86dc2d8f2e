import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { Hono } from 'hono';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { onError } from '../agent-service/error-response.js';
import { providerError } from '../agent-service/llm/provider-error.js';
import { ErrorBodySchema } from '../shared/chat.js';
import { createLogger } from '../shared/logger.js';

const OPENAI_KEY = 'sk-proj-Abc123def456ghi789jkl012mno345';
const MISTRAL_KEY = 'q7Zr2bX9kLm4Np8Vt1Ws6Yc3Hd5Fg0Je';

/** An app whose only route throws what `providerError` made of `err`, logging to `lines`. */
function failingApp(err: unknown) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const app = new Hono();
  app.get('/', () => {
    throw providerError(err, {
      provider: 'openai',
      model: 'gpt-4o',
      agent: 'support',
      defaultRetryAfterSeconds: 2,
    });
  });
  app.onError(onError(createLogger({ level: 'warn', destination })));
  return { app, lines };
}

describe('provider errors', () => {
  it.each([
    [
      'an OpenAI 401 quoting the key',
      OpenAI.APIError.generate(
        401,
        { error: { message: `Incorrect API key provided: ${OPENAI_KEY}.`, type: 'invalid_request_error' } },
        undefined,
        new Headers(),
      ),
      'support agent (openai gpt-4o) failed: HTTP 401',
    ],
    [
      'an Anthropic 400 quoting a bearer token',
      Anthropic.APIError.generate(
        400,
        {
          error: {
            message: `bad header Authorization: Bearer ${MISTRAL_KEY}`,
            type: 'invalid_request_error',
          },
        },
        undefined,
        new Headers(),
      ),
      'support agent (openai gpt-4o) failed: HTTP 400',
    ],
    [
      'a thrown error quoting a Mistral-style key',
      new TypeError(`cannot use key ${MISTRAL_KEY}`),
      'support agent (openai gpt-4o) failed (TypeError)',
    ],
  ])(
    '%s: the caller gets provider and status only; the log has the text, keys masked',
    async (_name, err, message) => {
      const { app, lines } = failingApp(err);
      const res = await app.request('/');
      expect(res.status).toBe(502);
      const body = ErrorBodySchema.parse(await res.json());
      expect(body.error).toMatchObject({ code: 'upstream_error', message });
      const logged = lines.join('\n');
      expect(logged).toContain(message);
      expect(logged).toContain('[redacted]');
      for (const key of [OPENAI_KEY, MISTRAL_KEY, OPENAI_KEY.slice(-8), MISTRAL_KEY.slice(-8)]) {
        expect(logged).not.toContain(key);
      }
    },
  );

  it('keeps the provider text in the log', async () => {
    const { app, lines } = failingApp(
      OpenAI.APIError.generate(
        500,
        { error: { message: 'The server had an error' } },
        undefined,
        new Headers(),
      ),
    );
    await app.request('/');
    expect(lines.join('\n')).toContain('The server had an error');
  });
});
