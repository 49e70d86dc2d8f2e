import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAnthropicClient, createOpenAIClient } from '../shared/llm/clients.js';
import { JUDGE_NAME, startLlmSim, type LlmSim } from '../llm-sim/index.js';

const PER_MODEL = 2000;
const Verdict = z.object({ verdict: z.enum(['positive', 'negative', 'none']), reason: z.string() });
const verdictSchema = z.toJSONSchema(Verdict) as Record<string, unknown>;

let sim: LlmSim;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startLlmSim({
    seed: 2024,
    overrides: {
      allModels: { latency: { ttftMs: 0, perTokenMs: 0 }, outputTokens: 40 },
      models: {
        'gpt-4o': { quality: { positive: 0.5, negative: 0.3 } },
        'claude-opus-5-5': { quality: { positive: 0.6 } },
      },
    },
  });
  openai = createOpenAIClient({ simUrl: sim.url });
  anthropic = createAnthropicClient({ simUrl: sim.url });
});

afterAll(async () => {
  await sim.close();
});

/** Runs `task(i)` for i in [0, n) with at most `limit` at a time. */
async function pool<T>(n: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

async function answer(model: string, question: string): Promise<string> {
  if (model.startsWith('claude')) {
    const reply = await anthropic.messages.create({
      model,
      max_tokens: 1200,
      messages: [{ role: 'user', content: question }],
    });
    return reply.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  }
  const reply = await openai.chat.completions.create({
    model,
    messages: [{ role: 'user', content: question }],
  });
  return reply.choices[0]?.message.content ?? '';
}

/** The judge as the worker asks it: OpenAI structured output, or an Anthropic forced tool, named judge_verdict. */
async function judge(
  question: string,
  reply: string,
  via: 'openai' | 'anthropic',
): Promise<z.infer<typeof Verdict>> {
  const prompt = `You are the user who asked: ${question}\n\nThe assistant answered:\n${reply}\n\nRate the answer.`;
  if (via === 'anthropic') {
    const result = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 200,
      tools: [{ name: JUDGE_NAME, input_schema: verdictSchema as Anthropic.Tool.InputSchema }],
      tool_choice: { type: 'tool', name: JUDGE_NAME },
      messages: [{ role: 'user', content: prompt }],
    });
    const use = result.content.find((b) => b.type === 'tool_use');
    return Verdict.parse(use?.type === 'tool_use' ? use.input : undefined);
  }
  const result = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Judge the answer as the user would.' },
      { role: 'user', content: prompt },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: JUDGE_NAME, strict: true, schema: verdictSchema },
    },
  });
  return Verdict.parse(JSON.parse(result.choices[0]?.message.content ?? ''));
}

async function judgedRates(model: string, via: 'openai' | 'anthropic', question: (i: number) => string) {
  const verdicts = await pool(PER_MODEL, 32, async (i) => {
    const q = question(i);
    return (await judge(q, await answer(model, q), via)).verdict;
  });
  const share = (v: string) => verdicts.filter((x) => x === v).length / verdicts.length;
  return { positive: share('positive'), negative: share('negative') };
}

describe('ground truth: judged verdicts follow the answering model’s quality', () => {
  it(`recovers 0.50 (GPT-4o) and 0.60 (Claude Opus) positive rates within ±0.03 over ${PER_MODEL} answers each`, async () => {
    const gpt = await judgedRates(
      'gpt-4o',
      'openai',
      (i) => `How does value iteration converge? (user ${i})`,
    );
    const opus = await judgedRates(
      'claude-opus-5-5-20260922',
      'anthropic',
      (i) => `Explain PPO clipping (user ${i})`,
    );
    expect(Math.abs(gpt.positive - 0.5)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(gpt.negative - 0.3)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(opus.positive - 0.6)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(opus.negative - 0.2)).toBeLessThanOrEqual(0.03);
    expect(sim.stats().byModel['gpt-4o-mini']?.verdicts.positive).toBeGreaterThan(0);
  }, 120_000);

  it('marks over-redacted questions with a lower positive rate, moved to negative', async () => {
    const plain = await answer('gpt-4o', 'Why does my agent diverge?');
    const redacted = await answer(
      'gpt-4o',
      'I am [REDACTED], reach me at [REDACTED]. Why does my agent diverge?',
    );
    expect(plain).toContain('[[sim:p=0.500,n=0.300]]');
    expect(redacted).toContain('[[sim:p=0.400,n=0.400]]');
  });

  it('judges repeated identical requests independently, and unmarked answers by unknownAnswer rates', async () => {
    const verdicts = await pool(400, 16, () => judge('q', 'An answer written by a person.', 'openai'));
    const positive = verdicts.filter((v) => v.verdict === 'positive').length / verdicts.length;
    // The default unknownAnswer positive rate is 0.5: 400 draws land well within ±0.1 of it.
    expect(positive).toBeGreaterThan(0.4);
    expect(positive).toBeLessThan(0.6);
  });
});
