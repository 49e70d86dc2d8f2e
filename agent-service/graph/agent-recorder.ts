import type { LDAIAgentConfig } from '@launchdarkly/server-sdk-ai';
import type { AgentRun, TokenUsage, ToolCall, TrackData } from '../../shared/chat.js';
import type { PriceTable } from '../../shared/pricing.js';

export type AgentName = AgentRun['agent'];

/**
 * Accumulates what one agent did for one request (tokens over all its model calls, tool calls, time to first
 * token) and reports it exactly once through the AI Config's tracker: duration, tokens, and success or
 * error. Every exit of an agent goes through {@link succeed} or {@link fail}, so errors after tokens were
 * spent and the tool-limit path are tracked like successes.
 */
export class AgentRecorder {
  private readonly started = performance.now();
  private readonly tokens: TokenUsage = { input: 0, output: 0, total: 0 };
  private readonly toolCalls: ToolCall[] = [];
  private timeToFirstTokenMs: number | undefined;
  private callStartedAt = this.started;
  private finished: AgentRun | undefined;

  constructor(
    readonly agent: AgentName,
    readonly config: LDAIAgentConfig,
    private readonly prices: PriceTable,
    private readonly onFinish: (run: AgentRun) => void,
  ) {}

  get trackData(): TrackData {
    return (
      this.config.tracker?.getTrackData() ?? {
        configKey: this.config.key,
        variationKey: '',
        version: 0,
        modelName: this.config.model?.name ?? '',
        providerName: this.config.provider?.name ?? '',
      }
    );
  }

  addUsage(usage: TokenUsage, timeToFirstTokenMs?: number): void {
    this.tokens.input += usage.input;
    this.tokens.output += usage.output;
    this.tokens.total += usage.total;
    // The agent's first token is the first token of its first streamed call.
    if (this.timeToFirstTokenMs === undefined && timeToFirstTokenMs !== undefined) {
      this.timeToFirstTokenMs = this.callStartedAt - this.started + timeToFirstTokenMs;
    }
  }

  addToolCall(call: ToolCall): void {
    this.toolCalls.push(call);
  }

  get toolCallCount(): number {
    return this.toolCalls.length;
  }

  /** Tracks success and returns the agent's run record. */
  succeed(): AgentRun {
    return this.finish(undefined);
  }

  /** Tracks an error (with whatever tokens were spent) and returns the agent's run record. */
  fail(error: Error | string): AgentRun {
    return this.finish(typeof error === 'string' ? error : error.message);
  }

  /** A config that is off: nothing was generated, so nothing is tracked. */
  disabled(): AgentRun {
    return this.finish(undefined, false);
  }

  private finish(error: string | undefined, track = true): AgentRun {
    if (this.finished) {
      return this.finished;
    }
    const durationMs = Math.round(performance.now() - this.started);
    const tracker = this.config.tracker;
    if (track && tracker) {
      tracker.trackDuration(durationMs);
      tracker.trackTokens({ ...this.tokens });
      if (this.timeToFirstTokenMs !== undefined) {
        tracker.trackTimeToFirstToken(Math.round(this.timeToFirstTokenMs));
      }
      if (error === undefined) {
        tracker.trackSuccess();
      } else {
        tracker.trackError();
      }
    }
    const trackData = this.trackData;
    const model = this.config.model?.name ?? trackData.modelName;
    const cost = this.prices.cost(model, this.tokens.input, this.tokens.output);
    const run: AgentRun = {
      agent: this.agent,
      configKey: this.config.key,
      variationKey: trackData.variationKey,
      version: trackData.version,
      enabled: this.config.enabled,
      model,
      provider: this.config.provider?.name ?? trackData.providerName,
      tokens: { ...this.tokens },
      durationMs,
      ...(this.timeToFirstTokenMs !== undefined
        ? { timeToFirstTokenMs: Math.round(this.timeToFirstTokenMs) }
        : {}),
      // Nothing spent costs nothing, priced or not; otherwise an unknown model is unpriced, never $0.
      costUsd: this.tokens.total === 0 ? 0 : cost.priced ? cost.usd : null,
      toolCalls: this.toolCalls,
      ...(error !== undefined ? { error } : {}),
      trackData,
    };
    this.finished = run;
    this.onFinish(run);
    return run;
  }

  /** Marks the start of a model call, so its time to first token can be placed on the agent's clock. */
  markCallStart(): void {
    this.callStartedAt = performance.now();
  }
}
