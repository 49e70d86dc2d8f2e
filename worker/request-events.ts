import type { LDContext } from '@launchdarkly/node-server-sdk';
import { metricByKey, type Metric } from '../shared/catalog.js';
import type { TrackData } from '../shared/chat.js';
import type { Verdict } from '../shared/result-record.js';
import type { UserContext } from '../shared/user-context.js';
import { userContext } from '../shared/user-context.js';

/**
 * The events the worker sends, spelled once in the experiments catalog (data/experiments.yaml): the AI SDK's
 * feedback events by verdict ("none" and "judge_error" send none), and the custom event whose metric value is
 * one request's cost in USD.
 */
export interface EventKeys {
  positive: string;
  negative: string;
  cost: string;
}

/** The event keys of the catalog metrics the worker feeds. */
export function eventKeys(metrics: Metric[]): EventKeys {
  return {
    positive: metricByKey(metrics, 'positive_feedback').eventKey,
    negative: metricByKey(metrics, 'negative_feedback').eventKey,
    cost: metricByKey(metrics, 'ai_cost').eventKey,
  };
}

/** The part of the LaunchDarkly client the reporter needs: the real `LDClient` has both. */
export interface EventsClient {
  track(key: string, context: LDContext, data?: unknown, metricValue?: number): void;
  /** Sends buffered events; the callback learns whether delivery failed (the promise never rejects). */
  flush(callback?: (err: Error | null, ok: boolean) => void): Promise<void>;
}

/** What one finished request reports to LaunchDarkly. */
export interface RequestEvents {
  jobId: string;
  runId: string;
  /** The job's user, sent as the same `user` context the agent service evaluated. */
  user: UserContext;
  verdict: Verdict;
  /** The tracker data of every AI Config that served the request. */
  trackData: TrackData[];
  /** USD; null when a model that served the request is unpriced (then no cost event is sent). */
  costUsd: number | null;
}

/**
 * Tracks one request's events: `$ld:ai:feedback:user:{positive,negative}` with each serving AI Config's
 * track data (plus the job id), as the AI SDK's `tracker.trackFeedback` would, and one
 * `ai_cost_per_request` whose metric value is the cost. The AI SDK 0.16.8 cannot resume another process's
 * tracker, so this calls `track` with the track data the agent service returned; moving to
 * `createTracker(resumptionToken)` later changes only this function. Returns the counts tracked.
 */
export function trackRequestEvents(
  client: EventsClient,
  events: RequestEvents,
  keys: EventKeys,
): { feedback: number; cost: number } {
  const context = userContext(events.user);
  let feedback = 0;
  if (events.verdict === 'positive' || events.verdict === 'negative') {
    const key = keys[events.verdict];
    const seen = new Set<string>();
    for (const data of events.trackData) {
      if (seen.has(data.configKey)) {
        continue;
      }
      seen.add(data.configKey);
      client.track(key, context, { ...data, jobId: events.jobId }, 1);
      feedback++;
    }
  }
  if (events.costUsd === null) {
    return { feedback, cost: 0 };
  }
  client.track(keys.cost, context, { jobId: events.jobId, runId: events.runId }, events.costUsd);
  return { feedback, cost: 1 };
}
