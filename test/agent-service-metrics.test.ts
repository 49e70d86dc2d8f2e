import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../agent-service/metrics.js';
import type { AgentRun } from '../shared/chat.js';

const run = (toolCalls: AgentRun['toolCalls']): AgentRun => ({
  agent: 'support',
  configKey: 'support-agent',
  variationKey: 'other-paid',
  version: 1,
  enabled: true,
  model: 'gpt-4o',
  provider: 'openai',
  tokens: { input: 10, output: 5, total: 15 },
  durationMs: 12,
  costUsd: 0.001,
  toolCalls,
  trackData: {
    configKey: 'support-agent',
    variationKey: 'other-paid',
    version: 1,
    modelName: 'gpt-4o',
    providerName: 'openai',
  },
});

describe('agent service metrics', () => {
  it('labels calls to tools not on offer as `unknown`, whatever name the model sent', async () => {
    const metrics = new ServiceMetrics();
    const call = (name: string, error?: string) => ({
      name,
      args: {},
      durationMs: 1,
      cited: [],
      ...(error ? { error } : {}),
    });
    metrics.observeAgent(
      run([
        call('search_v1'),
        call('search_v1', 'no results'),
        call('invented_tool_1', 'unknown tool'),
        call('invented_tool_2', 'unknown tool'),
      ]),
    );
    const text = await metrics.registry.metrics();
    const labels = 'config="support-agent",variation="other-paid"';
    expect(text).toContain(`loadgen_agent_tool_calls_total{${labels},tool="search_v1"} 2`);
    expect(text).toContain(`loadgen_agent_tool_calls_total{${labels},tool="unknown"} 2`);
    expect(text).not.toContain('invented_tool');
  });
});
