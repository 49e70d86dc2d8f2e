import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatResponseSchema, ErrorBodySchema } from '../shared/chat.js';
import { AgentHarness } from './agent-service-harness.js';

const USER = { key: 'validation-user' };

describe('agent service: input validation through app.request()', () => {
  let harness: AgentHarness;
  beforeAll(async () => {
    harness = await AgentHarness.start({ sim: { allModels: { toolCallRate: 0 } } });
  });
  afterAll(async () => harness.close());

  async function expectError(res: Response, status: number, field?: string, message?: RegExp) {
    const json: unknown = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(status);
    const body = ErrorBodySchema.parse(json);
    if (field !== undefined) {
      expect(body.error.field).toBe(field);
    }
    if (message) {
      expect(body.error.message).toMatch(message);
    }
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    return body;
  }

  it.each([
    ['an empty message', { message: '', user: USER }, 'message', /message: must be a non-empty string/],
    ['a blank message', { message: '   \n ', user: USER }, 'message', /non-empty/],
    ['a message over 5,000 characters', { message: 'a'.repeat(5001), user: USER }, 'message', /at most 5000/],
    ['a missing user key', { message: 'hi', user: { country: 'US' } }, 'user.key', /user\.key/],
    ['a missing user', { message: 'hi' }, 'user', /user/],
    ['a number for the message', { message: 42, user: USER }, 'message', /expected string/],
    ['a string for the user', { message: 'hi', user: 'bob' }, 'user', /expected object/],
    ['a bad country code', { message: 'hi', user: { key: 'k', country: 'usa' } }, 'user.country', /ISO 3166/],
    [
      'too much history',
      {
        message: 'hi',
        user: USER,
        history: Array.from({ length: 9 }, () => ({ role: 'user', content: 'x' })),
      },
      'history',
      /at most 8 turns/,
    ],
    [
      'a bad history role',
      { message: 'hi', user: USER, history: [{ role: 'system', content: 'x' }] },
      'history.0.role',
      /history\.0\.role/,
    ],
    [
      'a blank history turn',
      { message: 'hi', user: USER, history: [{ role: 'assistant', content: ' \n' }] },
      'history.0.content',
      /history\.0\.content: must be a non-empty string/,
    ],
    [
      'a history turn over 5,000 characters',
      { message: 'hi', user: USER, history: [{ role: 'user', content: 'a'.repeat(5001) }] },
      'history.0.content',
      /at most 5000/,
    ],
    [
      'a reserved context attribute',
      { message: 'hi', user: { key: 'k', kind: 'org' } },
      'user.kind',
      /reserved/,
    ],
    ['an array body', [1, 2], undefined, /expected object/],
  ])('rejects %s with 400 naming the field', async (_name, body, field, message) => {
    await expectError(await harness.chat(body), 400, field, message);
  });

  it('rejects malformed JSON with 400', async () => {
    await expectError(await harness.chat('{"message": "hi", '), 400, undefined, /Malformed JSON/);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const res = await harness.app.request('/chat', { method: 'POST', body: 'message=hi' });
    await expectError(res, 415, undefined, /application\/json/);
  });

  it('rejects an oversized body with 413, whether or not it says its length', async () => {
    const big = JSON.stringify({ message: 'hi', user: USER, padding: 'x'.repeat(300 * 1024) });
    await expectError(await harness.chat(big), 413, undefined, /larger than 262144 bytes/);
    const streamed = new Blob([big]).stream();
    const res = await harness.app.request('/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: streamed,
      duplex: 'half',
    } as RequestInit);
    await expectError(res, 413);
  });

  it('answers unknown routes with the JSON error shape and keeps a caller request id', async () => {
    const res = await harness.app.request('/nope', { headers: { 'x-request-id': 'caller-id-1' } });
    const body = await expectError(res, 404);
    expect(body.error.requestId).toBe('caller-id-1');
  });

  it('gets no 5xx for 1,000 random bodies (fast-check), and every answer has its documented shape', async () => {
    const attribute = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constant(null),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    );
    const user = fc.oneof(
      fc.record(
        {
          key: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant('')),
          country: fc.oneof(fc.constantFrom('US', 'DE', 'BR'), fc.string({ maxLength: 3 })),
          plan: fc.oneof(fc.constantFrom('free', 'paid'), fc.string({ maxLength: 5 })),
          anonymous: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })),
        },
        { requiredKeys: ['key'] },
      ),
      fc.dictionary(fc.string({ maxLength: 10 }), attribute, { maxKeys: 4 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const turn = fc.record({
      role: fc.oneof(fc.constantFrom('user', 'assistant'), fc.string({ maxLength: 8 })),
      content: fc.oneof(fc.string({ maxLength: 40 }), fc.integer()),
    });
    // Bodies close to valid, so that the graph path is fuzzed too: any text, any extra user attributes.
    const nearValid = fc
      .record({
        message: fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
        user: fc
          .tuple(
            fc.record(
              {
                key: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
                country: fc.constantFrom('US', 'DE', 'BR', 'FR'),
                plan: fc.constantFrom('free', 'paid'),
              },
              { requiredKeys: ['key'] },
            ),
            fc.dictionary(fc.string({ maxLength: 10 }), attribute, { maxKeys: 3 }),
          )
          .map(([known, extra]) => ({ ...extra, ...known })),
        history: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.string() }), {
          maxLength: 9,
        }),
      })
      .map((v) => JSON.stringify(v));
    const body = fc.oneof(
      { weight: 3, arbitrary: nearValid },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
      {
        weight: 4,
        arbitrary: fc
          .record(
            {
              message: fc.oneof(
                fc.string({ maxLength: 80 }),
                fc.string({ minLength: 4990, maxLength: 5010 }),
                fc.integer(),
                fc.constant(null),
              ),
              user,
              history: fc.oneof(fc.array(turn, { maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
            },
            { requiredKeys: [] },
          )
          .map((v) => JSON.stringify(v)),
      },
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const res = await harness.chat(raw);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const json: unknown = await res.json();
        expect(res.status, `${raw.slice(0, 300)} -> ${JSON.stringify(json)}`).toBeLessThan(500);
        if (res.status === 200) {
          ChatResponseSchema.parse(json);
        } else {
          ErrorBodySchema.parse(json);
        }
      }),
      { numRuns: 1000, seed: 20251126 },
    );
    console.log('fuzz statuses', JSON.stringify(Object.fromEntries(statuses)));
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
  });
});

describe('agent service: a configured message limit', () => {
  let harness: AgentHarness;
  beforeAll(async () => {
    harness = await AgentHarness.start({ sim: { allModels: { toolCallRate: 0 } }, maxMessageChars: 6000 });
  });
  afterAll(async () => harness.close());

  it('applies to history turns as to the message', async () => {
    const long = 'What is a policy? '.repeat(300).slice(0, 5500);
    const ok = await harness.chat({ message: long, user: USER, history: [{ role: 'user', content: long }] });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const tooLong = await harness.chat({
      message: 'hi',
      user: USER,
      history: [{ role: 'user', content: 'a'.repeat(6001) }],
    });
    expect(tooLong.status).toBe(400);
    const body = ErrorBodySchema.parse(await tooLong.json());
    expect(body.error.field).toBe('history.0.content');
    expect(body.error.message).toMatch(/at most 6000/);
  });
});
