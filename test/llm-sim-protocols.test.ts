import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAnthropicClient, createOpenAIClient } from '../shared/llm/clients.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';

const ZERO_LATENCY = { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } };
const MARKER = /\[\[sim:p=\d\.\d{3},n=\d\.\d{3}\]\]$/;

const searchTool = {
  name: 'search_v1',
  description: 'Keyword search over the knowledge base',
  parameters: {
    type: 'object',
    properties: { query: { type: 'string' }, top_k: { type: 'integer', minimum: 1, maximum: 10 } },
    required: ['query', 'top_k'],
    additionalProperties: false,
  },
};

let sim: LlmSim;
let openai: OpenAI;
let anthropic: Anthropic;

beforeEach(async () => {
  sim = await startLlmSim({ seed: 7, overrides: ZERO_LATENCY });
  openai = createOpenAIClient({ simUrl: sim.url });
  anthropic = createAnthropicClient({ simUrl: sim.url });
});

afterEach(async () => {
  await sim.close();
});

describe('OpenAI protocol', () => {
  it('answers in prose with usage, capped by max_tokens, and records the request', async () => {
    const question = 'How does PPO clipping keep policy updates stable in reinforcement learning?';
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'You answer questions.' },
        { role: 'user', content: question },
      ],
    });
    const text = reply.choices[0]?.message.content ?? '';
    expect(text).toMatch(/ppo|clipping|policy/i);
    expect(text).toMatch(MARKER);
    expect(text).toContain('[[sim:p=0.500,n=0.250]]');
    expect(reply.usage?.prompt_tokens).toBeGreaterThan(10);
    expect(reply.usage?.completion_tokens).toBeLessThanOrEqual(50);
    expect(reply.usage?.total_tokens).toBe(
      (reply.usage?.prompt_tokens ?? 0) + (reply.usage?.completion_tokens ?? 0),
    );
    const recorded = sim.requests();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ path: '/v1/chat/completions', provider: 'openai', model: 'gpt-4o' });
    expect(JSON.stringify(recorded[0]?.body)).toContain(question);
    expect(sim.stats().byModel['gpt-4o']).toMatchObject({ requests: 1, profile: 'gpt-4o' });
  });

  it('calls a tool, then answers from the tool result citing its ids without pasting it', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'What is the Bellman equation for value functions?' },
    ];
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: searchTool }];
    const first = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages,
      tools,
      tool_choice: 'required',
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') {
      throw new Error('expected a function call');
    }
    expect(call.function.name).toBe('search_v1');
    const args = JSON.parse(call.function.arguments) as { query: string; top_k: number };
    expect(args.query).toMatch(/bellman/);
    expect(args.top_k).toBeGreaterThanOrEqual(1);
    expect(args.top_k).toBeLessThanOrEqual(10);

    const toolOutput =
      '[chunk:bellman-01] UNIQUE_TOOL_TEXT_XYZ the value of a state equals reward plus discount';
    const second = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools,
      messages: [
        ...messages,
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: toolOutput },
      ],
    });
    const answer = second.choices[0]?.message.content ?? '';
    expect(second.choices[0]?.message.tool_calls).toBeUndefined();
    expect(answer).toContain('[chunk:bellman-01]');
    expect(answer).not.toContain('UNIQUE_TOOL_TEXT_XYZ');
    expect(answer).toMatch(MARKER);
  });

  it('returns structured output that parses against its JSON schema, with PII found by the sim', async () => {
    const Schema = z.object({
      contains_pii: z.boolean(),
      redacted_text: z.string(),
      pii_types: z.array(z.enum(['email', 'phone', 'card', 'id', 'name'])),
      confidence: z.number().min(0).max(1),
      notes: z.string().nullable(),
    });
    const message = 'Hi, I am Jane Doe, email jane.doe@example.com, phone 415-555-0134. How does SARSA work?';
    const ask = async (system: string) => {
      const reply = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: message },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'pii_check',
            strict: true,
            schema: z.toJSONSchema(Schema) as Record<string, unknown>,
          },
        },
      });
      return Schema.parse(JSON.parse(reply.choices[0]?.message.content ?? ''));
    };
    const basic = await ask('Replace email addresses and phone numbers with [REDACTED].');
    expect(basic.contains_pii).toBe(true);
    expect(basic.redacted_text).toBe(
      'Hi, I am Jane Doe, email [REDACTED], phone [REDACTED]. How does SARSA work?',
    );
    const strict = await ask('Replace emails, phone numbers and personal names with [REDACTED].');
    expect(strict.redacted_text).toBe(
      'Hi, I am [REDACTED], email [REDACTED], phone [REDACTED]. How does SARSA work?',
    );

    const clean = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Explain temporal difference learning' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'pii_check', schema: z.toJSONSchema(Schema) as Record<string, unknown> },
      },
    });
    expect(Schema.parse(JSON.parse(clean.choices[0]?.message.content ?? '')).contains_pii).toBe(false);
  });

  it('streams SSE chunks whose text adds up to an answer, with usage at the end', async () => {
    const stream = await openai.chat.completions.create({
      model: 'mistral-small-latest',
      max_tokens: 120,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Describe epsilon greedy exploration' }],
    });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toMatch(/epsilon|greedy|exploration/);
    expect(text).toMatch(MARKER);
    expect(finish).toMatch(/stop|length/);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(sim.stats().byModel['mistral-small-latest']).toMatchObject({
      profile: 'mistral-small',
      streamed: 1,
    });
  });

  it('embeds deterministically: texts sharing words are closer than unrelated texts', async () => {
    const texts = [
      'policy gradient methods for reinforcement learning',
      'reinforcement learning with policy gradient',
      'a recipe for banana bread with walnuts',
    ];
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    const [a, b, c] = result.data.map((d) => d.embedding) as [number[], number[], number[]];
    const cosine = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * (y[i] ?? 0), 0);
    expect(a).toHaveLength(256);
    expect(cosine(a, a)).toBeCloseTo(1, 5);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.3);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    const again = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts[0]!,
      dimensions: 64,
    });
    expect(again.data[0]?.embedding).toHaveLength(64);
    const floats = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts[0]!,
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toEqual(a);
  });

  it('lists models, and rejects a bad body with the SDK error naming the field', async () => {
    const models = [];
    for await (const model of openai.models.list()) {
      models.push(model.id);
    }
    expect(models).toEqual(expect.arrayContaining(['gpt-4o', 'mistral-small-latest']));
    const bad = openai.chat.completions.create({ model: 'gpt-4o', messages: [] });
    await expect(bad).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(bad).rejects.toThrow(/messages/);
    const noKey = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
  });
  it('answers a model id the profile does not list as each provider does: 404, the SDK throws NotFoundError', async () => {
    // Names like Object properties too: they must not reach Object.prototype.
    for (const model of ['claude-opus-4', '__proto__', 'constructor']) {
      const chat = openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
      await expect(chat).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const embedding = openai.embeddings.create({ model, input: 'hi' });
      await expect(embedding).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    }
    // (Not `__proto__` here: the Anthropic SDK's deprecation check looks model ids up with `in`.)
    const message = anthropic.messages.create({
      model: 'claude-opus-4',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await expect(message).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const post = (path: string, body: unknown) =>
      fetch(`${sim.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
        body: JSON.stringify(body),
      });
    const openaiBody = await post('/v1/chat/completions', {
      model: 'gpt-4o-nope',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(openaiBody.status).toBe(404);
    expect(await openaiBody.json()).toEqual({
      error: {
        message: 'The model `gpt-4o-nope` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    });
    const anthropicBody = await post('/v1/messages', {
      model: 'claude-opus-4',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(anthropicBody.status).toBe(404);
    expect(await anthropicBody.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'model: claude-opus-4' },
    });
    expect(Object.prototype).not.toHaveProperty('requests');
    expect(sim.stats()).toMatchObject({ requests: 0, rejected: 9 });
  });
});

describe('Anthropic protocol', () => {
  it('answers with usage for a dated model id, from the aliased profile', async () => {
    const reply = await anthropic.messages.create({
      model: 'claude-opus-5-5-20260922',
      max_tokens: 1200,
      system: 'You are a helpful assistant.',
      messages: [{ role: 'user', content: 'What is a Markov decision process?' }],
    });
    const block = reply.content[0];
    expect(block?.type).toBe('text');
    expect(block?.type === 'text' ? block.text : '').toContain('[[sim:p=0.600,n=0.200]]');
    expect(reply.stop_reason).toBe('end_turn');
    expect(reply.usage.input_tokens).toBeGreaterThan(5);
    expect(reply.usage.output_tokens).toBeGreaterThan(0);
    expect(sim.stats().byModel['claude-opus-5-5-20260922']?.profile).toBe('claude-opus-5-5');
  });

  it('round-trips tool_use and tool_result', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'search_v2',
        description: 'Semantic search',
        input_schema: searchTool.parameters as Anthropic.Tool.InputSchema,
      },
    ];
    const question: Anthropic.MessageParam = {
      role: 'user',
      content: 'How do actor critic methods reduce variance?',
    };
    const first = await anthropic.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 600,
      tools,
      tool_choice: { type: 'any' },
      messages: [question],
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    if (use?.type !== 'tool_use') {
      throw new Error('expected tool_use');
    }
    expect((use.input as { query: string }).query).toMatch(/actor|critic|variance/);
    const second = await anthropic.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 600,
      tools,
      messages: [
        question,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: use.id,
              content: '[chunk:ac-7] PASTE_ME_NOT critic baseline',
            },
          ],
        },
      ],
    });
    const text = second.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(second.stop_reason).toBe('end_turn');
    expect(text).toContain('[chunk:ac-7]');
    expect(text).not.toContain('PASTE_ME_NOT');
  });

  it('gives schema-valid structured output as a forced tool call', async () => {
    const Schema = z.object({
      contains_pii: z.boolean(),
      redacted_text: z.string(),
      topics: z.array(z.string()).min(1),
    });
    const reply = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 300,
      tools: [{ name: 'classify', input_schema: z.toJSONSchema(Schema) as Anthropic.Tool.InputSchema }],
      tool_choice: { type: 'tool', name: 'classify' },
      messages: [{ role: 'user', content: 'My card is 4111 1111 1111 1111, why was Q-learning slow?' }],
    });
    const use = reply.content.find((b) => b.type === 'tool_use');
    const parsed = Schema.parse(use?.type === 'tool_use' ? use.input : undefined);
    expect(parsed.contains_pii).toBe(true);
    expect(parsed.redacted_text).toBe('My card is [REDACTED], why was Q-learning slow?');
  });

  it('streams the Anthropic event sequence with usage', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-sonnet-5-20260630',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Summarise Monte Carlo tree search' }],
    });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const final = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events).toContain('content_block_delta');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    const text = final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text).toMatch(MARKER);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams a tool call as input_json_delta', async () => {
    const final = await anthropic.messages
      .stream({
        model: 'claude-opus-5-5',
        max_tokens: 400,
        tools: [{ name: 'search_v1', input_schema: searchTool.parameters as Anthropic.Tool.InputSchema }],
        tool_choice: { type: 'tool', name: 'search_v1' },
        messages: [{ role: 'user', content: 'discount factor gamma' }],
      })
      .finalMessage();
    const use = final.content.find((b) => b.type === 'tool_use');
    expect(use?.type === 'tool_use' ? use.input : undefined).toMatchObject({
      query: 'discount factor gamma',
    });
  });
});

describe('determinism', () => {
  const ask = (client: OpenAI, content: string) =>
    client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content }] })
      .then((r) => r.choices[0]?.message.content);

  it('gives the same answers for the same seed regardless of interleaving, and differs by seed', async () => {
    const other = await startLlmSim({ seed: 7, overrides: ZERO_LATENCY });
    const third = await startLlmSim({ seed: 8, overrides: ZERO_LATENCY });
    try {
      const otherClient = createOpenAIClient({ simUrl: other.url });
      const a1 = await ask(openai, 'alpha question');
      const b1 = await ask(openai, 'beta question');
      const a1again = await ask(openai, 'alpha question');
      const b2 = await ask(otherClient, 'beta question');
      const a2 = await ask(otherClient, 'alpha question');
      const a2again = await ask(otherClient, 'alpha question');
      expect([a2, b2, a2again]).toEqual([a1, b1, a1again]);
      expect(a1again).not.toEqual(a1);
      expect(await ask(createOpenAIClient({ simUrl: third.url }), 'alpha question')).not.toEqual(a1);
    } finally {
      await other.close();
      await third.close();
    }
  });
});

describe('latency', () => {
  it('waits the profile time to first token over HTTP (lower bound only), plain and streamed', async () => {
    const slow = await startLlmSim({ overrides: { allModels: { latency: { ttftMs: 200, perTokenMs: 0 } } } });
    try {
      const client = createOpenAIClient({ simUrl: slow.url });
      let started = performance.now();
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      started = performance.now();
      const stream = createAnthropicClient({ simUrl: slow.url }).messages.stream({
        model: 'claude-opus-5-5',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
      });
      await new Promise<void>((resolve, reject) => {
        stream.on('streamEvent', () => resolve());
        stream.on('error', reject);
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      await stream.finalMessage();
    } finally {
      await slow.close();
    }
  });
});
