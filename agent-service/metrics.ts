import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentRun } from '../shared/chat.js';
import { UNKNOWN_TOOL_ERROR } from './tools/types.js';

/**
 * Prometheus metrics of one agent-service app, in a registry of its own (not prom-client's global one), so
 * that several apps in one process (tests, `loadgen start`) do not collide.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'status'>;
  private readonly latency: Histogram<'status'>;
  private readonly tokens: Counter<'config' | 'variation' | 'kind'>;
  private readonly cost: Counter<'config' | 'variation'>;
  private readonly agentRuns: Counter<'config' | 'variation' | 'outcome'>;
  private readonly toolCalls: Counter<'config' | 'variation' | 'tool'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'loadgen_agent_chat_requests_total',
      help: 'POST /chat requests by HTTP status',
      labelNames: ['status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'loadgen_agent_chat_request_duration_seconds',
      help: 'POST /chat latency by HTTP status',
      labelNames: ['status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
      registers,
    });
    this.tokens = new Counter({
      name: 'loadgen_agent_tokens_total',
      help: 'LLM tokens by AI Config, variation and kind (input, output)',
      labelNames: ['config', 'variation', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'loadgen_agent_cost_usd_total',
      help: 'LLM cost in USD by AI Config and variation (priced models only)',
      labelNames: ['config', 'variation'],
      registers,
    });
    this.agentRuns = new Counter({
      name: 'loadgen_agent_runs_total',
      help: 'Agent runs by AI Config, variation and outcome (success, error, disabled)',
      labelNames: ['config', 'variation', 'outcome'],
      registers,
    });
    this.toolCalls = new Counter({
      name: 'loadgen_agent_tool_calls_total',
      help: 'Tool calls by AI Config, variation and tool',
      labelNames: ['config', 'variation', 'tool'],
      registers,
    });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'loadgen_agent_' });
    }
  }

  observeRequest(status: number, seconds: number): void {
    const labels = { status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  observeAgent(run: AgentRun): void {
    const labels = { config: run.configKey, variation: run.variationKey };
    this.tokens.inc({ ...labels, kind: 'input' }, run.tokens.input);
    this.tokens.inc({ ...labels, kind: 'output' }, run.tokens.output);
    if (run.costUsd !== null) {
      this.cost.inc(labels, run.costUsd);
    }
    const outcome = !run.enabled ? 'disabled' : run.error !== undefined ? 'error' : 'success';
    this.agentRuns.inc({ ...labels, outcome });
    for (const call of run.toolCalls) {
      // The name is whatever the model sent: label calls to tools not on offer as one `unknown`, so that a
      // model inventing names cannot grow the label set without bound.
      this.toolCalls.inc({ ...labels, tool: call.error === UNKNOWN_TOOL_ERROR ? 'unknown' : call.name });
    }
  }
}
