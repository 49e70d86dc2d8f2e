import { afterEach, describe, expect, it } from 'vitest';
import { ChatResponseSchema, ErrorBodySchema, type AgentRun } from '../shared/chat.js';
import type { LdEvent } from './helpers/events-endpoint.js';
import { AgentHarness, type HarnessOptions } from './agent-service-harness.js';

const KB_QUESTION = 'How does temporal-difference learning bootstrap from its own estimates?';
const USER = { key: 'tracking-user', country: 'US' };

/** Custom events the AI SDK tracker sent for one AI Config. */
function tracked(events: LdEvent[], configKey: string, key: string): LdEvent[] {
  return events.filter((e) => e.kind === 'custom' && e.key === key && e.data?.configKey === configKey);
}

/** Waits until every tracker event expected for `run` has arrived, then checks them. */
async function expectTracked(
  harness: AgentHarness,
  run: AgentRun,
  outcome: 'success' | 'error',
): Promise<void> {
  await harness.flush();
  await harness.events.waitFor(
    (events) =>
      tracked(events, run.configKey, `$ld:ai:generation:${outcome}`).length > 0 &&
      tracked(events, run.configKey, '$ld:ai:duration:total').length > 0,
  );
  const events = harness.events.events;
  const [duration] = tracked(events, run.configKey, '$ld:ai:duration:total');
  expect(duration?.metricValue).toBe(run.durationMs);
  expect(duration?.data).toEqual(run.trackData);
  expect(duration?.data?.variationKey).toBe(run.variationKey);
  expect(duration?.context).toMatchObject({ kind: 'user', key: USER.key });
  expect(tracked(events, run.configKey, `$ld:ai:generation:${outcome}`)).toHaveLength(1);
  const other = outcome === 'success' ? 'error' : 'success';
  expect(tracked(events, run.configKey, `$ld:ai:generation:${other}`)).toHaveLength(0);
  if (run.tokens.total > 0) {
    for (const kind of ['total', 'input', 'output'] as const) {
      const [tokens] = tracked(events, run.configKey, `$ld:ai:tokens:${kind}`);
      expect(tokens?.metricValue, kind).toBe(run.tokens[kind]);
      expect(tokens?.data).toEqual(run.trackData);
    }
  }
}

describe('agent service: tools and tracking (llm-sim, local events endpoint)', () => {
  let harness: AgentHarness | undefined;
  const start = async (options: HarnessOptions) => {
    harness = await AgentHarness.start(options);
    return harness;
  };
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('calls the search tools on a knowledge-base question and answers without raw tool output', async () => {
    const h = await start({ sim: { allModels: { toolCallRate: 1 } } });
    const res = await h.chat({ message: KB_QUESTION, user: USER });
    const body = ChatResponseSchema.parse(await res.json());
    const support = body.agents.find((a) => a.agent === 'support');
    expect(support?.variationKey).toBe('international-standard');
    expect(support?.toolCalls.length).toBeGreaterThan(0);
    // international-standard names one tool, so the first call is search_v1 whatever the sim draws.
    const offered = h.sim
      .requests()
      .map((r) => (r.body as { tools?: { function: { name: string } }[] }).tools)
      .find((tools) => tools !== undefined)
      ?.map((t) => t.function.name);
    expect(offered).toEqual(['search_v1']);
    expect(support?.toolCalls[0]?.name).toBe('search_v1');
    expect(support?.toolCalls[0]?.cited.length).toBeGreaterThan(0);

    // What the tools returned, as the model received it.
    const toolOutputs = h.sim
      .requests()
      .flatMap((r) => (r.body as { messages?: { role: string; content: string }[] }).messages ?? [])
      .filter((m) => m.role === 'tool')
      .map((m) => m.content);
    expect(toolOutputs.length).toBeGreaterThan(0);
    for (const output of toolOutputs) {
      expect(output.length).toBeGreaterThan(100);
      for (let at = 0; at + 40 <= output.length; at += 20) {
        expect(body.answer).not.toContain(output.slice(at, at + 40));
      }
    }
    for (const run of body.agents) {
      await expectTracked(h, run, 'success');
    }
  });

  it('stops at max_tool_calls, forces a final answer, and still tracks tokens and cost', async () => {
    const h = await start({
      sim: { allModels: { toolCallRate: 1 } },
      manifest: (m) => {
        const variation = m.configs['support-agent']?.variations['international-standard'];
        if (variation) {
          variation.model.custom.max_tool_calls = 1;
        }
      },
    });
    const res = await h.chat({ message: KB_QUESTION, user: USER });
    const body = ChatResponseSchema.parse(await res.json());
    const support = body.agents.find((a) => a.agent === 'support') as AgentRun;
    expect(support.toolCalls).toHaveLength(1);
    const supportRequests = h.sim
      .requests()
      .map(
        (r) => r.body as { tools?: unknown[]; tool_choice?: string; messages: { content: string | null }[] },
      )
      .filter((b) => b.tools !== undefined);
    expect(supportRequests.map((b) => b.tool_choice)).toEqual(['auto', 'none']);
    expect(support.tokens.total).toBeGreaterThan(0);
    expect(support.costUsd).toBeGreaterThan(0);
    expect(body.totals.costUsd).toBeCloseTo(
      body.agents.reduce((sum, a) => sum + (a.costUsd ?? 0), 0),
      12,
    );
    await expectTracked(h, support, 'success');
  });

  it('tracks time to first token when streaming', async () => {
    const h = await start({ stream: true, sim: { allModels: { toolCallRate: 0 } } });
    const res = await h.chat({ message: 'What is a Markov decision process?', user: USER });
    const body = ChatResponseSchema.parse(await res.json());
    const support = body.agents.find((a) => a.agent === 'support') as AgentRun;
    expect(support.tokens.output).toBeGreaterThan(0);
    expect(support.timeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    await expectTracked(h, support, 'success');
    await h.events.waitFor((events) => tracked(events, 'support-agent', '$ld:ai:tokens:ttf').length > 0);
  });

  it('tracks duration, tokens and error for the agent whose call fails after earlier calls succeeded', async () => {
    const h = await start({ sim: { allModels: { toolCallRate: 1 } } });
    // Call 1 is the supervisor, call 2 the support agent asking for a tool; call 3 (after the tool) fails.
    h.sim.scheduleFault({ kind: '500', skip: 2, count: 1 });
    const res = await h.chat({ message: KB_QUESTION, user: USER });
    expect(res.status).toBe(502);
    const error = ErrorBodySchema.parse(await res.json());
    expect(error.error.code).toBe('upstream_error');
    expect(error.error.message).toMatch(/support agent \(openai gpt-4o-mini\)/);

    await h.flush();
    await h.events.waitFor(
      (events) =>
        tracked(events, 'support-agent', '$ld:ai:generation:error').length > 0 &&
        tracked(events, 'supervisor-agent', '$ld:ai:generation:success').length > 0,
    );
    const events = h.events.events;
    expect(tracked(events, 'supervisor-agent', '$ld:ai:tokens:total')[0]?.metricValue).toBeGreaterThan(0);
    const [supportError] = tracked(events, 'support-agent', '$ld:ai:generation:error');
    expect(supportError?.data?.variationKey).toBe('international-standard');
    expect(tracked(events, 'support-agent', '$ld:ai:generation:success')).toHaveLength(0);
    expect(tracked(events, 'support-agent', '$ld:ai:duration:total')).toHaveLength(1);
    // The first support call spent tokens before the second failed: they are tracked.
    expect(tracked(events, 'support-agent', '$ld:ai:tokens:total')[0]?.metricValue).toBeGreaterThan(0);
  });
});
