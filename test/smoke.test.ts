import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadConfig as loadAgentServiceConfig,
  startAgentService,
  type AgentService,
} from '../agent-service/index.js';
import { runSmokeCommand } from '../doctor/smoke-command.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { createLogger } from '../shared/logger.js';
import { EventsEndpoint } from './helpers/events-endpoint.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

let sim: LlmSim;
let events: EventsEndpoint;
let service: AgentService;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startLlmSim({
    overrides: { allModels: { latency: { ttftMs: 0, perTokenMs: 0 }, toolCallRate: 1 } },
  });
  events = await EventsEndpoint.start();
  const base = {
    LLM_SIM_URL: sim.url,
    LD_EVENTS_URI: events.url,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: testPrefix('smoke'),
  };
  service = await startAgentService({
    config: loadAgentServiceConfig(base),
    logger: createLogger({ level: 'silent' }),
  });
  env = { ...base, AGENT_SERVICE_URL: service.url };
});
afterAll(async () => {
  await service?.close();
  await sim?.close();
  await events?.close();
});

async function smoke(): Promise<{ code: number; out: string }> {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const code = await runSmokeCommand(env, stream);
  return { code, out };
}

describe('loadgen run --smoke (local default: llm-sim, the agent service, the real LaunchDarkly SDK)', () => {
  it('sends one request per servable variation and reports tokens, price and tools of each', async () => {
    const { code, out } = await smoke();
    const lines = out.split('\n').filter((l) => /^(ok|FAIL)\s+smoke/.test(l));
    expect(lines).toHaveLength(8);
    expect(lines.every((l) => l.startsWith('ok'))).toBe(true);
    expect(out).toMatch(
      /ok\s+smoke\s+support-agent\/claude-opus-treatment\s+anthropic claude-opus-5-5, [1-9]\d* tokens, \$0\.\d+, AI Config tools search_v1, search_v2, reranking, arxiv_search, semantic_scholar, called [a-z_]+/,
    );
    expect(out).toMatch(/ok\s+smoke\s+security-agent\/enhanced\s+anthropic claude-sonnet-5, [1-9]\d* tokens/);
    expect(out).toMatch(/^smoke: 8 requests, cost \$0\.\d+; all passed$/m);
    expect(out).toMatch(/ok\s+events\s+http:\/\/127\.0\.0\.1:\d+\/?\s+accepts a post \(HTTP 202\)/);
    expect(code).toBe(0);
  });

  it('fails the line of a variation whose model errors, and exits 1', async () => {
    sim.scheduleFault({ kind: '500', model: 'claude-opus-5-5', count: 1_000 });
    const { code, out } = await smoke();
    const failed = out.split('\n').filter((l) => /^FAIL\s+smoke/.test(l));
    expect(failed).toEqual([
      expect.stringMatching(
        /^FAIL\s+smoke\s+support-agent\/claude-opus-treatment\s+agent service answered HTTP 50\d/,
      ),
    ]);
    expect(out).toMatch(/^smoke: 8 requests, cost .*; 1 failed$/m);
    expect(code).toBe(1);
  });
});
