import { afterEach, describe, expect, it } from 'vitest';
import { ChatResponseSchema, type ChatResponse } from '../shared/chat.js';
import { AgentHarness } from './agent-service-harness.js';

const SUPPORT_PROMPT = 'You are a helpful assistant';

/** Bodies of the requests llm-sim received for the support agent (recognised by its instructions). */
function supportRequests(harness: AgentHarness): string[] {
  return harness.sim
    .requests()
    .map((r) => JSON.stringify(r.body))
    .filter((body) => body.includes(SUPPORT_PROMPT));
}

async function ok(res: Response): Promise<ChatResponse> {
  const body: unknown = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return ChatResponseSchema.parse(body);
}

describe('agent service: PII routing (llm-sim, LaunchDarkly file data source)', () => {
  let harness: AgentHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('routes a message with an email and a phone number through security; the support model never sees them', async () => {
    harness = await AgentHarness.start();
    const res = await harness.chat({
      message:
        'How does Q-learning update its values? Mail me at jane.doe@example.com or call (555) 123-4567.',
      user: { key: 'pii-user', country: 'US', plan: 'free' },
    });
    const body = await ok(res);
    expect(body.route).toEqual(['supervisor', 'security', 'support']);
    expect(body.agents.map((a) => a.agent)).toEqual(['supervisor', 'security', 'support']);
    const support = supportRequests(harness);
    expect(support.length).toBeGreaterThan(0);
    for (const request of support) {
      expect(request).not.toContain('jane.doe@example.com');
      expect(request).not.toContain('123-4567');
      expect(request).toContain('[REDACTED]');
    }
    expect(body.answer).not.toContain('jane.doe@example.com');
  });

  it('redacts what the deterministic pass finds even when the models miss it', async () => {
    harness = await AgentHarness.start();
    // llm-sim's own detector does not know this phone format, so its prescreen says "no PII" and its
    // redaction leaves the number in: only the deterministic pass catches it.
    const phone = '+44 20 7946 0958';
    const res = await harness.chat({
      message: `What is an epsilon-greedy policy? You can reach me on ${phone} tomorrow.`,
      user: { key: 'uk-user' },
    });
    const body = await ok(res);
    expect(body.route).toEqual(['supervisor', 'security', 'support']);
    const prescreen = harness.sim.requests()[0];
    expect(JSON.stringify(prescreen?.body)).toContain(phone);
    for (const request of supportRequests(harness)) {
      expect(request).not.toContain('7946');
    }
  });

  it('sends a message without PII straight to support, without evaluating security-agent', async () => {
    harness = await AgentHarness.start();
    const res = await harness.chat({
      message: 'What is the difference between on-policy and off-policy learning?',
      user: { key: 'clean-user', country: 'US', plan: 'paid' },
    });
    const body = await ok(res);
    expect(body.route).toEqual(['supervisor', 'support']);
    expect(body.agents.map((a) => a.configKey)).toEqual(['supervisor-agent', 'support-agent']);
    expect(body.answer.length).toBeGreaterThan(0);
    for (const agent of body.agents) {
      expect(agent.trackData).toEqual({
        configKey: agent.configKey,
        variationKey: agent.variationKey,
        version: agent.version,
        modelName: agent.model,
        providerName: agent.provider,
      });
    }

    await harness.flush();
    const summaries = () => harness!.events.events.filter((e) => e.kind === 'summary');
    await harness.events.waitFor(() =>
      summaries().some((e) => 'support-agent' in ((e.features as Record<string, unknown>) ?? {})),
    );
    const evaluated = new Set(
      summaries().flatMap((e) => Object.keys((e.features as Record<string, unknown>) ?? {})),
    );
    expect(evaluated.has('supervisor-agent')).toBe(true);
    expect(evaluated.has('support-agent')).toBe(true);
    expect(evaluated.has('security-agent')).toBe(false);
  });

  it('answers with the history redacted too when a past turn holds PII', async () => {
    harness = await AgentHarness.start();
    const res = await harness.chat({
      message: 'And how does that relate to SARSA?',
      history: [
        { role: 'user', content: 'My card is 4111 1111 1111 1111, explain Q-learning' },
        { role: 'assistant', content: 'Q-learning is an off-policy TD method.' },
      ],
      user: { key: 'history-user' },
    });
    const body = await ok(res);
    expect(body.route).toEqual(['supervisor', 'security', 'support']);
    for (const request of supportRequests(harness)) {
      expect(request).not.toContain('4111 1111');
      expect(request).toContain('Q-learning is an off-policy TD method.');
    }
  });
});
