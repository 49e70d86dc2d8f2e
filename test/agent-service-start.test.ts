import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  loadConfig as loadAgentServiceConfig,
  startAgentService,
  type AgentService,
} from '../agent-service/index.js';
import { ChatResponseSchema } from '../shared/chat.js';
import { ConfigError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { EventsEndpoint } from './helpers/events-endpoint.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const silent = createLogger({ level: 'silent' });

describe('startAgentService (HTTP, local mode with a flag file generated from the manifest)', () => {
  let sim: LlmSim | undefined;
  let events: EventsEndpoint | undefined;
  let service: AgentService | undefined;
  afterEach(async () => {
    await service?.close();
    await sim?.close();
    await events?.close();
    service = sim = events = undefined;
  });

  it('serves /health, /ready, /chat and /metrics, offering the configured tools', async () => {
    sim = await startLlmSim({
      overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 }, toolCallRate: 1 } },
    });
    events = await EventsEndpoint.start();
    service = await startAgentService({
      config: loadAgentServiceConfig({
        LLM_SIM_URL: sim.url,
        LD_EVENTS_URI: events.url,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: testPrefix('agent'),
      }),
      logger: silent,
    });

    expect(await (await fetch(`${service.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${service.url}/ready`);
    expect(ready.status).toBe(200);
    const readiness = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    expect(readiness.checks.map((c) => [c.name, c.ok])).toEqual([
      ['launchdarkly', true],
      ['llm-sim', true],
    ]);

    const res = await fetch(`${service.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: 'What is policy gradient?',
        user: { key: 'start-user-3', country: 'US', plan: 'paid' },
      }),
    });
    expect(res.status).toBe(200);
    const body = ChatResponseSchema.parse(await res.json());
    const support = body.agents.find((a) => a.agent === 'support');
    expect(['other-paid', 'claude-opus-treatment']).toContain(support?.variationKey);
    // The other-paid variations name five tools; without MCP servers, the three knowledge-base tools are offered.
    const offered = sim
      .requests()
      .map((r) => r.body as { tools?: { name?: string; function?: { name: string } }[] })
      .find((b) => b.tools)
      ?.tools?.map((t) => t.function?.name ?? t.name);
    expect(offered).toEqual(['search_v1', 'search_v2', 'reranking']);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('loadgen_agent_chat_requests_total{status="200"} 1');
    expect(metrics).toMatch(
      new RegExp(
        `loadgen_agent_tokens_total\\{config="support-agent",variation="${support?.variationKey}",kind="output"\\} [1-9]`,
      ),
    );
    expect(metrics).toContain('loadgen_agent_cost_usd_total{config="supervisor-agent",variation="default"}');

    const url = service.url;
    await service.close();
    await service.close();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  /** A service behind an llm-sim that takes 300 ms per call, so a request is in flight long enough to close on. */
  async function slowService(graceMs: string): Promise<AgentService> {
    sim = await startLlmSim({
      overrides: { allModels: { latency: { ttftMs: 300, perTokenMs: 0 }, toolCallRate: 0 } },
    });
    events = await EventsEndpoint.start();
    return startAgentService({
      config: loadAgentServiceConfig({
        LLM_SIM_URL: sim.url,
        LD_EVENTS_URI: events.url,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: testPrefix('agent'),
        AGENT_SHUTDOWN_GRACE_MS: graceMs,
      }),
      logger: silent,
    });
  }

  /** Starts a /chat request and resolves once its first LLM call reached llm-sim (start-up made calls too). */
  async function chatInFlight(url: string): Promise<{ done: Promise<Response> }> {
    const before = sim?.requests().length ?? 0;
    const done = fetch(`${url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        message: 'What is a policy?',
        user: { key: 'drain-user', country: 'US', plan: 'paid' },
      }),
    });
    done.catch(() => {});
    await vi.waitFor(() => expect(sim?.requests().length).toBeGreaterThan(before), {
      timeout: 10_000,
      interval: 5,
    });
    return { done };
  }

  it('on close, refuses new connections but lets a request in flight finish, telling it to close', async () => {
    service = await slowService('20000');
    const { url } = service;
    const order: string[] = [];
    const { done } = await chatInFlight(url);
    const answered = done.then((res) => {
      order.push('answered');
      return res;
    });
    const closed = service.close().then(() => order.push('closed'));
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    const res = await answered;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    ChatResponseSchema.parse(await res.json());
    await closed;
    expect(order).toEqual(['answered', 'closed']);
  });

  it('with no grace, close drops a request in flight', async () => {
    service = await slowService('0');
    const { done } = await chatInFlight(service.url);
    await service.close();
    await expect(done).rejects.toThrow();
  });

  it('refuses to start when a provider some variation serves has no key, naming both', async () => {
    await expect(
      startAgentService({ config: loadAgentServiceConfig({ OPENAI_API_KEY: 'sk-test' }), logger: silent }),
    ).rejects.toThrow(
      /AI Config security-agent variation enhanced \(anthropic claude-sonnet-5\) needs ANTHROPIC_API_KEY/,
    );
    await expect(
      startAgentService({ config: loadAgentServiceConfig({}), logger: silent }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('refuses a bad variable, naming it', () => {
    expect(() =>
      loadAgentServiceConfig({ LLM_SIM_URL: 'http://127.0.0.1:1', AGENT_REQUEST_DEADLINE_MS: 'soon' }),
    ).toThrow(/^invalid environment:\n {2}AGENT_REQUEST_DEADLINE_MS: /);
  });
});
