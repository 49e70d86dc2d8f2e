import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAnthropicClient, createOpenAIClient } from '../shared/llm/clients.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';

const ZERO_LATENCY = { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } };

let sim: LlmSim;
let openai: OpenAI;
let anthropic: Anthropic;

const chat = (model = 'gpt-4o', client = openai) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'What is reward shaping?' }] });
const message = (model = 'claude-opus-5-5', client = anthropic) =>
  client.messages.create({
    model,
    max_tokens: 300,
    messages: [{ role: 'user', content: 'What is reward shaping?' }],
  });

beforeEach(async () => {
  sim = await startLlmSim({ overrides: ZERO_LATENCY });
  openai = createOpenAIClient({ simUrl: sim.url });
  anthropic = createAnthropicClient({ simUrl: sim.url });
});

afterEach(async () => {
  await sim.close();
});

describe('scheduled faults surface as the SDK errors', () => {
  it('429 is a RateLimitError carrying retry-after (OpenAI and Anthropic)', async () => {
    sim.scheduleFault({ kind: '429', count: 2 });
    const openaiError = await chat().catch((e: unknown) => e);
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect((openaiError as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
    const anthropicError = await message().catch((e: unknown) => e);
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(
      (anthropicError as InstanceType<typeof Anthropic.RateLimitError>).headers?.get('retry-after'),
    ).toBe('1');
    await expect(chat()).resolves.toBeDefined();
  });

  it('500 is an InternalServerError, 529 an Anthropic OverloadedError', async () => {
    sim.scheduleFault({ kind: '500' });
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    sim.scheduleFault({ kind: '529' });
    const overloaded = await message().catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.OverloadedError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });

  it('a hang is the SDK timeout error, and close() ends hanging requests', async () => {
    sim.scheduleFault({ kind: 'hang', count: 3 });
    const quick = createOpenAIClient({ simUrl: sim.url, timeoutMs: 300 });
    await expect(chat('gpt-4o', quick)).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const quickAnthropic = createAnthropicClient({ simUrl: sim.url, timeoutMs: 300 });
    await expect(message('claude-opus-5-5', quickAnthropic)).rejects.toBeInstanceOf(
      Anthropic.APIConnectionTimeoutError,
    );
    // A third hang is still waiting when the server closes: close must not wait for it.
    const pending = chat().catch((e: unknown) => e);
    await waitUntil(() => sim.stats().faults.hang === 3);
    await sim.close();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('a malformed body fails JSON parsing in the SDK, plain and streaming', async () => {
    sim.scheduleFault({ kind: 'malformed', count: 3 });
    await expect(chat()).rejects.toBeInstanceOf(SyntaxError);
    await expect(message()).rejects.toBeInstanceOf(SyntaxError);
    // The SDK logs the unparseable chunk before throwing; this client keeps the test output clean.
    const quiet = new OpenAI({ apiKey: 'sim', baseURL: `${sim.url}/v1`, maxRetries: 0, logLevel: 'off' });
    const stream = await quiet.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'stream please' }],
    });
    await expect(
      (async () => {
        for await (const _chunk of stream) {
          // drain
        }
      })(),
    ).rejects.toBeInstanceOf(SyntaxError);
  });

  it('a malformed streamed tool call fails JSON parsing in the SDK (OpenAI and Anthropic)', async () => {
    sim.scheduleFault({ kind: 'malformed', count: 2 });
    const quiet = new OpenAI({ apiKey: 'sim', baseURL: `${sim.url}/v1`, maxRetries: 0, logLevel: 'off' });
    const parameters = { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] };
    const stream = await quiet.chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      tools: [{ type: 'function', function: { name: 'search_v1', parameters } }],
      tool_choice: { type: 'function', function: { name: 'search_v1' } },
      messages: [{ role: 'user', content: 'discount factor' }],
    });
    await expect(
      (async () => {
        for await (const _chunk of stream) {
          // drain
        }
      })(),
    ).rejects.toBeInstanceOf(SyntaxError);
    const events = await anthropic.messages.create({
      model: 'claude-opus-5-5',
      max_tokens: 300,
      stream: true,
      tools: [{ name: 'search_v1', input_schema: parameters as Anthropic.Tool.InputSchema }],
      tool_choice: { type: 'tool', name: 'search_v1' },
      messages: [{ role: 'user', content: 'discount factor' }],
    });
    await expect(
      (async () => {
        for await (const _event of events) {
          // drain
        }
      })(),
    ).rejects.toBeInstanceOf(SyntaxError);
    expect(sim.stats().faults.malformed).toBe(2);
  });

  it('targets a model and skips requests; counts faults by model in /stats', async () => {
    sim.scheduleFault({ kind: '500', model: 'claude-opus-5-5', skip: 1 });
    await expect(chat('gpt-4o')).resolves.toBeDefined();
    await expect(message('claude-opus-5-5-20260922')).resolves.toBeDefined();
    await expect(message('claude-opus-5-5-20260922')).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    await expect(message('claude-opus-5-5-20260922')).resolves.toBeDefined();
    const stats = (await (await fetch(`${sim.url}/stats`)).json()) as ReturnType<LlmSim['stats']>;
    expect(stats.faults['500']).toBe(1);
    expect(stats.byModel['claude-opus-5-5-20260922']).toMatchObject({ requests: 3, faults: { '500': 1 } });
    expect(stats.byModel['gpt-4o']?.faults['500']).toBe(0);
  });

  it('schedules faults over HTTP, rejecting a bad one with the field named', async () => {
    const post = (body: unknown) =>
      fetch(`${sim.url}/v1/sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await post({ kind: '418' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('kind');
    expect((await post({ kind: '429', model: 'gpt-4o' })).status).toBe(202);
    await expect(message()).resolves.toBeDefined();
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const recorded = (await (await fetch(`${sim.url}/v1/sim/requests?model=gpt-4o`)).json()) as {
      requests: { model: string; path: string }[];
    };
    expect(recorded.requests).toEqual([
      expect.objectContaining({ model: 'gpt-4o', path: '/v1/chat/completions' }),
    ]);
  });
});

describe('fault rates from the profile', () => {
  it('fails about the configured share of requests, deterministically per seed', async () => {
    const run = async (seed: number) => {
      const flaky = await startLlmSim({
        seed,
        overrides: { ...ZERO_LATENCY, models: { 'gpt-4o-mini': { faults: { '429': 0.2, '500': 0.1 } } } },
      });
      const client = createOpenAIClient({ simUrl: flaky.url });
      try {
        const outcomes: string[] = [];
        for (let i = 0; i < 200; i++) {
          const result = await client.chat.completions
            .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${i}` }] })
            .then(
              () => 'ok',
              (e: unknown) => (e instanceof OpenAI.APIError ? String(e.status) : 'other'),
            );
          outcomes.push(result);
        }
        await expect(chat('gpt-4o', client)).resolves.toBeDefined();
        return outcomes;
      } finally {
        await flaky.close();
      }
    };
    const first = await run(3);
    const count = (kind: string) => first.filter((o) => o === kind).length;
    expect(count('other')).toBe(0);
    expect(count('429')).toBeGreaterThan(20);
    expect(count('429')).toBeLessThan(60);
    expect(count('500')).toBeGreaterThan(5);
    expect(count('500')).toBeLessThan(35);
    expect(await run(3)).toEqual(first);
  });
});

/** Polls until `condition` holds (the hanging request has reached the server), failing after 10 s. */
async function waitUntil(condition: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: 10_000, interval: 5 });
}
