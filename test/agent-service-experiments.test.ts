import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatResponseSchema } from '../shared/chat.js';
import { AgentHarness } from './agent-service-harness.js';

const USERS = 1000;
const BATCH = 25;

describe('agent service: the experiments 50/50 split in other-paid (real SDK bucketing)', () => {
  let harness: AgentHarness;
  beforeAll(async () => {
    // No tool calls: this test is about which variation served, so keep each request to three model calls.
    harness = await AgentHarness.start({ sim: { allModels: { toolCallRate: 0 } } });
  });
  afterAll(async () => harness.close());

  it(`splits ${USERS} other-paid users 50/50 (±5%) in both experiments, as the SDK evaluates them`, async () => {
    const counts: Record<string, Record<string, number>> = { 'security-agent': {}, 'support-agent': {} };
    for (let start = 0; start < USERS; start += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, USERS - start) }, async (_, j) => {
          const i = start + j;
          const user = { key: `other-paid-${i}`, country: i % 2 ? 'US' : 'BR', plan: 'paid' as const };
          // An email in every message, so security runs and its experiment is exercised too.
          const res = await harness.chat({
            message: `What is a value function? I am user${i}@example.com`,
            user,
          });
          const body = ChatResponseSchema.parse(await res.json());
          expect(body.route).toEqual(['supervisor', 'security', 'support']);
          const context = { ...user, kind: 'user' };
          for (const agent of body.agents) {
            const value = (await harness.ldClient.variation(agent.configKey, context, {})) as {
              _ldMeta?: { variationKey?: string };
            };
            expect(agent.variationKey).toBe(value._ldMeta?.variationKey);
            const byVariation = counts[agent.configKey];
            if (byVariation) {
              byVariation[agent.variationKey] = (byVariation[agent.variationKey] ?? 0) + 1;
            }
          }
        }),
      );
    }
    const share = (config: string, variation: string) => (counts[config]?.[variation] ?? 0) / USERS;
    expect(Object.keys(counts['security-agent'] ?? {}).sort()).toEqual(['baseline', 'enhanced']);
    expect(Object.keys(counts['support-agent'] ?? {}).sort()).toEqual([
      'claude-opus-treatment',
      'other-paid',
    ]);
    for (const [config, variation] of [
      ['security-agent', 'baseline'],
      ['support-agent', 'other-paid'],
    ] as const) {
      expect(share(config, variation)).toBeGreaterThanOrEqual(0.45);
      expect(share(config, variation)).toBeLessThanOrEqual(0.55);
    }
    console.log('split', JSON.stringify(counts));
  });
});
