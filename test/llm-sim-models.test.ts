import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { createAnthropicClient, createOpenAIClient } from '../shared/llm/clients.js';

let sim: LlmSim;
beforeAll(async () => {
  sim = await startLlmSim();
});
afterAll(() => sim.close());

describe("llm-sim GET /v1/models and /v1/models/{id}, through the providers' SDK clients", () => {
  it('lists and retrieves OpenAI-compatible models in the OpenAI shape, 404 model_not_found for others', async () => {
    const openai = createOpenAIClient({ simUrl: sim.url });
    const ids: string[] = [];
    for await (const model of openai.models.list()) {
      ids.push(model.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'gpt-4o-mini', 'mistral-small-latest']));
    expect(ids.some((id) => id.startsWith('claude'))).toBe(false);
    expect(await openai.models.retrieve('gpt-4o-2024-08-06')).toEqual({
      id: 'gpt-4o-2024-08-06',
      object: 'model',
      created: 1735689600,
      owned_by: 'openai',
    });
    expect(
      (await createOpenAIClient({ simUrl: sim.url }, 'mistral').models.retrieve('mistral-small-latest'))
        .owned_by,
    ).toBe('mistralai');
    const missing = await openai.models.retrieve('gpt-9-imaginary').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).error).toEqual({
      message: 'The model `gpt-9-imaginary` does not exist or you do not have access to it.',
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    });
  });

  it('lists and retrieves Claude models in the Anthropic shape, 404 not_found_error for others', async () => {
    const anthropic = createAnthropicClient({ simUrl: sim.url });
    const page = await anthropic.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude-opus-5-5', 'claude-sonnet-5']));
    expect(ids.every((id) => id.startsWith('claude'))).toBe(true);
    const opus = await anthropic.models.retrieve('claude-opus-5-5');
    expect(opus).toMatchObject({ type: 'model', id: 'claude-opus-5-5', display_name: 'claude-opus-5-5' });
    const missing = await anthropic.models.retrieve('gpt-4o').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'model: gpt-4o' },
    });
  });
});
