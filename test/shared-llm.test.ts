import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { ConfigError } from '../shared/errors.js';
import {
  LlmError,
  ProviderModelCaller,
  resolveProvider,
  structuredOutput,
  type ModelRequest,
  type Provider,
} from '../shared/llm/index.js';
import { startOpenAiStub, type OpenAiStub } from './helpers/openai-stub.js';

const ZERO_LATENCY = { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } };
const KEY = 'sk-proj-Abc123def456ghi789jkl012mno345';

const VERDICT_SCHEMA = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: ['positive', 'negative', 'none'] },
    reason: { type: 'string' },
  },
  required: ['verdict', 'reason'],
  additionalProperties: false,
};

function request(provider: Provider, model: string, extra: Partial<ModelRequest> = {}): ModelRequest {
  return {
    provider,
    model,
    system: 'You judge answers.',
    messages: [{ role: 'user', content: 'Question: what is TD learning? Answer: bootstrapping.' }],
    maxTokens: 200,
    ...extra,
  };
}

describe('resolveProvider: one rule for every caller', () => {
  it('takes the named provider first, then the model id, then the price database', () => {
    expect(resolveProvider('anything', { provider: 'MistralAI' })).toBe('mistral');
    expect(resolveProvider('claude-haiku-4-5')).toBe('anthropic');
    expect(resolveProvider('gpt-4o-mini')).toBe('openai');
    expect(resolveProvider('o3-mini')).toBe('openai');
    expect(resolveProvider('codestral-latest')).toBe('mistral');
    // No name rule knows pixtral; @pydantic/genai-prices lists it under mistral.
    expect(resolveProvider('pixtral-large-latest')).toBe('mistral');
  });

  it('fails on a model it cannot place, naming the model and the setting to use', () => {
    expect(() => resolveProvider('my-judge', { setting: 'JUDGE_PROVIDER' })).toThrow(ConfigError);
    expect(() => resolveProvider('my-judge', { setting: 'JUDGE_PROVIDER' })).toThrow(
      /model "my-judge".*set JUDGE_PROVIDER to openai, anthropic, mistral/,
    );
    expect(() => resolveProvider('llama-3-70b')).toThrow(/"llama-3-70b"/);
  });
});

describe('ProviderModelCaller (real SDKs against llm-sim)', () => {
  let sim: LlmSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it.each([
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-haiku-4-5'],
    ['mistral', 'mistral-small-latest'],
  ] as const)(
    'gives %s structured output as JSON text, with usage whose total adds up',
    async (provider, model) => {
      sim = await startLlmSim({ seed: 7, overrides: ZERO_LATENCY });
      const caller = new ProviderModelCaller({ simUrl: sim.url });
      const response = await caller.call(
        request(provider, model, { structured: { name: 'judge_verdict', schema: VERDICT_SCHEMA } }),
      );
      const output = structuredOutput(response, 'judge_verdict');
      expect(output.ok).toBe(true);
      expect(output.ok && output.value).toMatchObject({
        verdict: expect.any(String),
        reason: expect.any(String),
      });
      expect(response.usage.input).toBeGreaterThan(0);
      expect(response.usage.output).toBeGreaterThan(0);
      expect(response.usage.total).toBe(response.usage.input + response.usage.output);

      const wire = sim.requests().at(-1);
      expect(wire?.path).toBe(provider === 'anthropic' ? '/v1/messages' : '/v1/chat/completions');
      // OpenAI gets max_completion_tokens; Mistral's compatible API and Anthropic get max_tokens.
      expect(wire?.body).toMatchObject(
        provider === 'openai' ? { max_completion_tokens: 200 } : { max_tokens: 200 },
      );
    },
  );

  it.each([
    ['openai', 'gpt-no-such-model'],
    ['anthropic', 'claude-no-such-model'],
  ] as const)('maps %s 404 for an unknown model to model_not_found', async (provider, model) => {
    sim = await startLlmSim({ seed: 7, overrides: ZERO_LATENCY });
    const caller = new ProviderModelCaller({ simUrl: sim.url });
    const error = await caller.call(request(provider, model)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'model_not_found', status: 404, provider, model });
  });

  it('structuredOutput says what is wrong with an answer that is no JSON', () => {
    const usage = { input: 1, output: 1, total: 2 };
    expect(structuredOutput({ text: '', toolCalls: [], usage }, 'x')).toEqual({
      ok: false,
      problem: 'no x output',
    });
    expect(structuredOutput({ text: 'hello', toolCalls: [], usage }, 'x')).toEqual({
      ok: false,
      problem: 'not JSON: hello',
    });
  });
});

describe('LlmError: provider errors mapped once', () => {
  let stub: OpenAiStub | undefined;
  let silent: Server | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
    silent?.closeAllConnections();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    silent = undefined;
  });

  async function failWith(
    provider: Provider,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<LlmError> {
    stub = await startOpenAiStub((_n, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    });
    const caller = new ProviderModelCaller({ simUrl: stub.url });
    const model = provider === 'anthropic' ? 'claude-haiku-4-5' : 'gpt-4o-mini';
    const error = await caller.call(request(provider, model)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LlmError);
    return error as LlmError;
  }

  it('a 429 is rate_limited with the provider Retry-After in ms', async () => {
    const error = await failWith(
      'openai',
      429,
      { error: { message: 'slow down', type: 'rate_limit' } },
      {
        'retry-after': '3',
      },
    );
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 3000 });
    const ms = await failWith(
      'anthropic',
      429,
      { type: 'error', error: { type: 'rate_limit_error', message: 'x' } },
      {
        'retry-after-ms': '1500',
      },
    );
    expect(ms).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1500 });
  });

  it("Anthropic's 529 overloaded_error is overloaded; another status is http with its code", async () => {
    const overloaded = await failWith('anthropic', 529, {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(overloaded).toMatchObject({ kind: 'overloaded', status: 529, code: 'overloaded_error' });
    const bad = await failWith('openai', 400, { error: { message: 'bad', type: 'invalid_request_error' } });
    expect(bad).toMatchObject({ kind: 'http', status: 400, code: 'invalid_request_error' });
    expect(bad.retryAfterMs).toBeUndefined();
  });

  it('masks a key the provider quotes, in the message, the detail and the cause', async () => {
    const error = await failWith('openai', 401, {
      error: { message: `Incorrect API key provided: ${KEY}.`, type: 'invalid_request_error' },
    });
    expect(error).toMatchObject({ kind: 'http', status: 401 });
    for (const text of [error.message, error.detail, (error.cause as Error).message]) {
      expect(text).toContain('[redacted]');
      expect(text).not.toContain(KEY.slice(-8));
    }
    expect(error.message).toMatch(/^openai gpt-4o-mini: HTTP 401: /);
  });

  it('a request the SDK timed out is timeout; a refused connection is connection, both without status', async () => {
    // A server that accepts the request and never answers: the SDK's own timeout ends the call.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const slow = new ProviderModelCaller({ simUrl: url, timeoutMs: 200 });
    const timedOut = await slow.call(request('openai', 'gpt-4o-mini')).catch((err: unknown) => err);
    expect(timedOut).toMatchObject({ kind: 'timeout', status: undefined });

    // Port of a server just closed: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = new ProviderModelCaller({ simUrl: `http://127.0.0.1:${port}` });
    const error = await refused.call(request('anthropic', 'claude-haiku-4-5')).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'connection', status: undefined });
  });

  it('a missing key is a ConfigError naming what needs it, not an LlmError', async () => {
    const caller = new ProviderModelCaller({}, 'the judge (JUDGE_MODEL=gpt-4o-mini)');
    await expect(caller.call(request('openai', 'gpt-4o-mini'))).rejects.toThrow(
      /the judge \(JUDGE_MODEL=gpt-4o-mini\) needs OPENAI_API_KEY/,
    );
  });
});
