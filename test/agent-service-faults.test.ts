import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listenHttp } from '../shared/http-server.js';
import { ChatResponseSchema, ErrorBodySchema } from '../shared/chat.js';
import { AgentHarness, type HarnessOptions } from './agent-service-harness.js';

const QUESTION = { message: 'What is the discount factor for?', user: { key: 'fault-user' } };

describe('agent service: provider faults and disabled configs (llm-sim faults)', () => {
  let harness: AgentHarness | undefined;
  const start = async (options: HarnessOptions = {}) => {
    harness = await AgentHarness.start({ sim: { allModels: { toolCallRate: 0 } }, ...options });
    return harness;
  };
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('answers a provider 429 with 429 and the Retry-After it got', async () => {
    const h = await start({ sim: { allModels: { toolCallRate: 0, faults: { retryAfterSeconds: 7 } } } });
    h.sim.scheduleFault({ kind: '429' });
    const res = await h.chat(QUESTION);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    const body = ErrorBodySchema.parse(await res.json());
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('answers an Anthropic overload (529) with 503 and Retry-After', async () => {
    // eu-paid users get claude-sonnet-5 for support; the supervisor (OpenAI) call goes first and succeeds.
    const h = await start();
    h.sim.scheduleFault({ kind: '529', model: 'claude-sonnet-5' });
    const res = await h.chat({ ...QUESTION, user: { key: 'eu-paid-user', country: 'DE', plan: 'paid' } });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe('provider_overloaded');
  });

  it.each(['500', 'malformed'] as const)('answers an upstream %s with 502', async (kind) => {
    const h = await start();
    h.sim.scheduleFault({ kind, skip: 1 });
    const res = await h.chat(QUESTION);
    expect(res.status).toBe(502);
    const body = ErrorBodySchema.parse(await res.json());
    expect(body.error.code).toBe('upstream_error');
    expect(body.error.message).toMatch(/support agent/);
  });

  it('answers 504 at the deadline when the provider hangs, and tracks the error', async () => {
    const h = await start({ deadlineMs: 1500 });
    h.sim.scheduleFault({ kind: 'hang', skip: 1 });
    const res = await h.chat(QUESTION);
    expect(res.status).toBe(504);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe('deadline_exceeded');
    await h.flush();
    await h.events.waitFor((events) =>
      events.some((e) => e.key === '$ld:ai:generation:error' && e.data?.configKey === 'support-agent'),
    );
  });

  it('stops the agents when the caller hangs up, and tracks the stopped one as an error', async () => {
    const h = await start({ deadlineMs: 60_000 });
    h.sim.scheduleFault({ kind: 'hang', skip: 1 });
    const caller = new AbortController();
    const pending = h.app.request('/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(QUESTION),
      signal: caller.signal,
    });
    // The support model call is hanging in llm-sim: now the caller goes away.
    await vi.waitFor(() => expect(h.sim.stats().faults.hang).toBe(1), { timeout: 10_000, interval: 5 });
    caller.abort();
    const res = await pending;
    expect(res.status).toBe(499);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe('client_closed_request');
    await h.flush();
    await h.events.waitFor((events) =>
      events.some((e) => e.key === '$ld:ai:generation:error' && e.data?.configKey === 'support-agent'),
    );
  }, 20_000);

  it('counts a caller that drops mid-upload as 499, not 500', async () => {
    const h = await start();
    const server = await listenHttp(h.app.fetch, 0, '127.0.0.1');
    try {
      const { port } = new URL(server.url);
      // Half a body, then the connection goes: the body read fails under the route.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            'POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"message":',
            () => socket.destroy(),
          );
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      const counted = async () =>
        (await (await h.app.request('/metrics')).text()).match(
          /loadgen_agent_chat_requests_total\{status="(\d+)"\}/g,
        ) ?? [];
      await vi.waitFor(
        async () => expect(await counted()).toEqual(['loadgen_agent_chat_requests_total{status="499"}']),
        {
          timeout: 10_000,
          interval: 20,
        },
      );
    } finally {
      await server.close();
    }
  });

  it('with security-agent off, redacts deterministically and says so in the response', async () => {
    const h = await start({ flags: { off: ['security-agent'] } });
    const res = await h.chat({ ...QUESTION, message: 'Explain SARSA. My email is a.b@example.org' });
    const body = ChatResponseSchema.parse(await res.json());
    expect(body.route).toEqual(['supervisor', 'security', 'support']);
    const security = body.agents.find((a) => a.agent === 'security');
    expect(security).toMatchObject({ enabled: false, variationKey: 'disabled', tokens: { total: 0 } });
    const bodies = h.sim.requests().map((r) => JSON.stringify(r.body));
    expect(bodies).toHaveLength(2); // supervisor and support only
    expect(bodies[1]).not.toContain('a.b@example.org');
    expect(bodies[1]).toContain('[REDACTED]');
  });

  it('with support-agent off, answers 503 naming the config', async () => {
    const h = await start({ flags: { off: ['support-agent'] } });
    const res = await h.chat(QUESTION);
    expect(res.status).toBe(503);
    const body = ErrorBodySchema.parse(await res.json());
    expect(body.error.code).toBe('agent_disabled');
    expect(body.error.message).toContain('support-agent');
  });
});
