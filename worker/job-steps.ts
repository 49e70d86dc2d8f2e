import type { ChatRequest, ChatResponse } from '../shared/chat.js';
import type { QueryJob } from '../shared/query-job.js';
import type { Logger } from '../shared/logger.js';
import type { RunStore } from '../shared/runs.js';
import type { BudgetGuard } from './budget-guard.js';
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js';
import type { Judge } from './judge.js';
import type { LaunchDarklyReporter } from './launchdarkly-reporter.js';
import { buildResultRecord } from './result-record.js';

/** The prom-client shapes the steps use (a `WorkerMetrics` in production, a plain object in unit tests). */
export interface ProcessorMetrics {
  jobs: { inc(labels: { run: string; outcome: string }): void };
  active: { inc(): void; dec(): void };
  chatLatency: { observe(seconds: number): void };
  spend: { inc(labels: { kind: string }, usd: number): void };
  verdicts: { inc(labels: { verdict: string }): void };
  events: { inc(labels: { kind: string }, count: number): void };
  resent: { inc(): void };
  /** A completed job's verdict, latency and cost per experiment arm that served it. */
  observeCompleted(runId: string, chat: NonNullable<Checkpoint['chat']>, verdict: string): void;
}

/** What the steps need, each as the few methods they call. */
export interface StepDeps {
  /** `requestId` (the job id) travels as `X-Request-Id`. */
  chat: (request: ChatRequest, signal?: AbortSignal, requestId?: string) => Promise<ChatResponse>;
  judge: Pick<Judge, 'judge'>;
  reporter: Pick<LaunchDarklyReporter, 'report'>;
  checkpoints: Pick<CheckpointStore, 'saveChat' | 'saveJudge' | 'retirement'>;
  budget: Pick<BudgetGuard, 'reserve'>;
  runs: Pick<RunStore, 'recordResultCounted'>;
  /** The hash of the run's re-sent job ids (`resentKey` in `query-processor.ts`). */
  resentKey: (runId: string) => string;
  metrics: ProcessorMetrics;
}

/** One attempt at one job, as the steps see it. `progress` is the checkpoint, updated as steps finish. */
export interface StepContext {
  deps: StepDeps;
  jobId: string;
  data: QueryJob;
  progress: Checkpoint;
  /** This attempt's number (1 on the first). */
  attempt: number;
  finalAttempt: boolean;
  /** When the job was enqueued (BullMQ `job.timestamp`). */
  enqueuedAt: number;
  log: Logger;
  signal?: AbortSignal | undefined;
  /** The run's result count just after this job's record (set by the record step, for the job's summary). */
  results?: number;
}

export type StepName = 'chat' | 'judge' | 'report' | 'record';

/** A step of a query job: how it runs, what it checkpoints, how it fails (see `retry-policy.ts`). */
export interface JobStep {
  name: StepName;
  runs: string;
  checkpoints: string;
  fails: string;
  /** True when an earlier attempt finished this step (so this attempt skips it). */
  done(progress: Checkpoint): boolean;
  run(context: StepContext): Promise<void>;
}

const chat: JobStep = {
  name: 'chat',
  runs:
    'reserves the expected job cost from the run budget, then POST /chat to the agent service with the ' +
    'question and the user',
  checkpoints:
    'the response and its latency (`chat`), moving the request cost from the reservation to the run spend atomically',
  fails:
    'budget exhausted or run stopped: fatal; 429/503+Retry-After: pause; network, timeout, 408, 5xx: retry; ' +
    'other 4xx, agent_disabled, config_error, model_not_found: fatal',
  done: (progress) => progress.chat !== undefined,
  async run({ deps, jobId, data, progress, signal }) {
    await deps.budget.reserve(data.runId, jobId, data.user.segment);
    const started = performance.now();
    const response = await deps.chat({ message: data.query, user: data.user }, signal, jobId);
    const latencyMs = Math.round(performance.now() - started);
    progress.chat = await deps.checkpoints.saveChat(
      jobId,
      data.runId,
      { response, latencyMs },
      response.totals.costUsd ?? 0,
    );
    deps.metrics.chatLatency.observe(latencyMs / 1000);
    deps.metrics.spend.inc({ kind: 'request' }, response.totals.costUsd ?? 0);
  },
};

const judge: JobStep = {
  name: 'judge',
  runs: 'an LLM plays the user and rates the answer (cached by prompt version, model, question and answer)',
  checkpoints: 'the verdict and its cost (`judge`), adding the harness cost to the run spend atomically',
  fails:
    '401/403/404: fatal (configuration); rate limit: pause; retryable: retry, or judge_error on the final ' +
    'attempt; unparsable output or other 4xx: a judge_error verdict (the step completes)',
  done: (progress) => progress.judge !== undefined,
  async run({ deps, jobId, data, progress, finalAttempt, log }) {
    const answer = requireChat(progress).response.answer;
    const judged = await deps.judge.judge(data.query, answer, { finalAttempt });
    const verdict = await deps.checkpoints.saveJudge(jobId, data.runId, judged);
    progress.judge = verdict;
    deps.metrics.verdicts.inc({ verdict: verdict.verdict });
    deps.metrics.spend.inc({ kind: 'harness' }, verdict.costUsd);
    if (verdict.verdict === 'judge_error') {
      log.warn({ reason: verdict.reason }, 'judge failed; recorded as judge_error');
    }
  },
};

const report: JobStep = {
  name: 'report',
  runs: 'feedback and cost events to LaunchDarkly, delivered by the next flush of this process',
  checkpoints: '`reported` once the flush is accepted (a flush never confirmed is sent again and counted)',
  fails: 'a failed flush: retry',
  done: (progress) => progress.reported,
  async run({ deps, jobId, data, progress, log }) {
    const response = requireChat(progress).response;
    const sent = await deps.reporter.report({
      jobId,
      runId: data.runId,
      user: data.user,
      verdict: requireJudge(progress).verdict,
      // A disabled AI Config served nothing (the agent service tracked nothing for it): no feedback for it.
      trackData: response.agents.filter((a) => a.enabled).map((a) => a.trackData),
      costUsd: response.totals.costUsd,
      resentKey: deps.resentKey(data.runId),
    });
    progress.reported = true;
    if (sent.resent) {
      log.warn('an earlier LaunchDarkly flush of this job was never confirmed; its events were sent again');
      deps.metrics.resent.inc();
    }
    deps.metrics.events.inc({ kind: 'feedback' }, sent.feedbackEvents);
    deps.metrics.events.inc({ kind: 'cost' }, sent.costEvents);
  },
};

const record: JobStep = {
  name: 'record',
  runs: 'appends the completed result record to the run (once per job id; the last one marks the run done)',
  checkpoints: 'the record itself; the checkpoint is then kept for a day only (both in one round trip)',
  fails: 'a Redis error: retry',
  // The processor skips the whole job when its completed record exists.
  done: () => false,
  async run(context) {
    const { deps, jobId, data, progress, attempt, enqueuedAt, log } = context;
    const chatDone = requireChat(progress);
    if (chatDone.response.totals.costUsd === null) {
      log.warn(
        { unpriced: chatDone.response.totals.unpricedModels },
        'request cost unknown: no cost event sent',
      );
    }
    const { results } = await deps.runs.recordResultCounted(
      buildResultRecord({
        jobId,
        job: data,
        status: 'completed',
        enqueuedAt,
        firstStartedAt: progress.firstStartedAt,
        attempts: attempt,
        chat: chatDone,
        judge: requireJudge(progress),
      }),
      deps.checkpoints.retirement(jobId),
    );
    context.results = results;
  },
};

/** The steps of a query job, in order. */
export const JOB_STEPS: readonly JobStep[] = [chat, judge, report, record];

function requireChat(progress: Checkpoint): NonNullable<Checkpoint['chat']> {
  if (!progress.chat) {
    throw new Error('step order: no chat checkpoint');
  }
  return progress.chat;
}

function requireJudge(progress: Checkpoint): NonNullable<Checkpoint['judge']> {
  if (!progress.judge) {
    throw new Error('step order: no judge checkpoint');
  }
  return progress.judge;
}
