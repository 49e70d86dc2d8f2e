import { afterEach, expect, it } from 'vitest';
import { createAnthropicClient, createOpenAIClient } from '../shared/llm/clients.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';

let sim: LlmSim | undefined;

afterEach(async () => {
  await sim?.close();
});

it('completes 1,000 concurrent requests at zero latency without an error', async () => {
  sim = await startLlmSim({ overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } });
  const openai = createOpenAIClient({ simUrl: sim.url });
  const anthropic = createAnthropicClient({ simUrl: sim.url });
  const requests = Array.from({ length: 1000 }, async (_, i) => {
    const question = `Question ${i} about reinforcement learning`;
    if (i % 2 === 0) {
      const reply = await openai.chat.completions.create({
        model: i % 4 === 0 ? 'gpt-4o' : 'mistral-small-latest',
        stream: i % 8 === 0 ? false : undefined,
        messages: [{ role: 'user', content: question }],
      });
      return reply.choices[0]?.message.content ?? '';
    }
    if (i % 6 === 1) {
      const final = await anthropic.messages
        .stream({
          model: 'claude-sonnet-5',
          max_tokens: 600,
          messages: [{ role: 'user', content: question }],
        })
        .finalMessage();
      return final.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    }
    const reply = await anthropic.messages.create({
      model: 'claude-opus-5-5',
      max_tokens: 1200,
      messages: [{ role: 'user', content: question }],
    });
    return reply.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  });
  const results = await Promise.allSettled(requests);
  const failures = results.filter((r) => r.status === 'rejected');
  expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
  expect(results.every((r) => r.status === 'fulfilled' && r.value.includes('[[sim:'))).toBe(true);
  const stats = sim.stats();
  expect(stats.requests).toBe(1000);
  expect(Object.values(stats.faults).every((n) => n === 0)).toBe(true);
});
