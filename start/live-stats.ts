import type { Queue } from 'bullmq';
import { SingleBar } from 'cli-progress';
import { failureReason } from '../readout/index.js';
import type { ResultRecord } from '../shared/result-record.js';
import { runJobIds } from '../shared/run-jobs.js';
import { notRunReason, type RunState, type RunStore } from '../shared/runs.js';

/** Weight of the newest jobs/s sample in the smoothed rate (an exponential moving average). */
const SMOOTHING = 0.2;

/** What the live line shows, from the results count over time. */
export interface LiveSample {
  elapsedMs: number;
  done: number;
  total: number;
  /** Smoothed results per second. */
  rate: number;
  /** Remaining results at the smoothed rate, ms; null until a rate is known. */
  etaMs: number | null;
}

/**
 * Smooths the results rate so the ETA does not jump with each poll (a burst of results once read `4m30s left`
 * on a 60 s run). Pure: fed the results count and the time of each poll.
 */
export class LiveRate {
  private rate = 0;
  private last: { at: number; done: number } | undefined;

  constructor(
    private readonly total: number,
    private readonly startedAt: number,
  ) {}

  sample(done: number, now: number): LiveSample {
    if (this.last && now > this.last.at) {
      const instant = ((done - this.last.done) * 1000) / (now - this.last.at);
      this.rate = this.rate === 0 ? instant : SMOOTHING * instant + (1 - SMOOTHING) * this.rate;
    }
    if (!this.last || now > this.last.at) {
      this.last = { at: now, done };
    }
    const elapsedMs = now - this.startedAt;
    // Before the first results the rate is unknown; the average since the start bounds the smoothed one.
    const rate = this.rate > 0 ? this.rate : elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
    const remaining = Math.max(0, this.total - done);
    return { elapsedMs, done, total: this.total, rate, etaMs: rate > 0 ? (remaining / rate) * 1000 : null };
  }
}

/** `1m05s`, `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The stats part of the live line. */
export function formatLive(sample: LiveSample): string {
  const eta = sample.etaMs === null ? '?' : formatDuration(sample.etaMs);
  return `elapsed ${formatDuration(sample.elapsedMs)}  ${sample.rate.toFixed(1)} jobs/s  eta ${eta}`;
}

/** What the live line shows beside the rate: counted from the records as they land, and the run's state. */
export interface LiveCounts {
  /** The run's jobs a worker is running now. */
  inFlight: number;
  completed: number;
  /** Failed jobs by reason ({@link failureReason}), most frequent first. */
  failures: { reason: string; count: number }[];
  dropped: number;
  removed: number;
  /** The run's spend counter (requests + harness), USD, and its budget (null: none). */
  spendUsd: number;
  budgetUsd: number | null;
  /** Distinct users per variation, keyed `configKey/variationKey`. */
  usersPerArm: Record<string, number>;
}

/**
 * Counts of a run's records, fed the records as they land, each once (a job whose failed record a retry
 * replaced is counted by its newest record). Keeps per job only its outcome, and per arm the set of its users.
 */
export class LiveTally {
  private readonly outcomes = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private readonly arms = new Map<string, Set<string>>();

  add(records: readonly ResultRecord[]): void {
    for (const r of records) {
      const never = notRunReason(r);
      const outcome = never ?? (r.status === 'completed' ? 'completed' : `failed:${failureReason(r.error)}`);
      const before = this.outcomes.get(r.jobId);
      if (before !== undefined) {
        this.counts.set(before, (this.counts.get(before) ?? 1) - 1);
      }
      this.outcomes.set(r.jobId, outcome);
      this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
      if (never) {
        continue;
      }
      for (const [config, variation] of Object.entries(r.variations)) {
        const key = `${config}/${variation}`;
        let users = this.arms.get(key);
        if (!users) {
          users = new Set();
          this.arms.set(key, users);
        }
        users.add(r.userKey);
      }
    }
  }

  counted(): Omit<LiveCounts, 'inFlight' | 'spendUsd' | 'budgetUsd'> {
    const failures: LiveCounts['failures'] = [];
    for (const [outcome, count] of this.counts) {
      if (outcome.startsWith('failed:') && count > 0) {
        failures.push({ reason: outcome.slice('failed:'.length), count });
      }
    }
    failures.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
    return {
      completed: this.counts.get('completed') ?? 0,
      failures,
      dropped: this.counts.get('dropped') ?? 0,
      removed: this.counts.get('removed') ?? 0,
      usersPerArm: Object.fromEntries(
        [...this.arms].sort(([a], [b]) => a.localeCompare(b)).map(([k, u]) => [k, u.size]),
      ),
    };
  }
}

/**
 * Reads what is new in a run at each poll, incrementally: the job ids recorded since the last poll (the run's
 * result log), then only those records; the run's active jobs (in flight); its spend from the run state the
 * follower already read. A poll costs one read of the log's tail, one of the new records and one listing of
 * the queue's active jobs, however long the run.
 */
export class LiveFeed {
  private readonly tally = new LiveTally();
  private position = 0;

  constructor(
    private readonly store: Pick<RunStore, 'recordedSince' | 'resultsOf'>,
    private readonly queue: Queue,
    private readonly runId: string,
  ) {}

  async poll(state: Pick<RunState, 'spendUsd' | 'meta'>): Promise<LiveCounts> {
    const ids = await this.store.recordedSince(this.runId, this.position);
    this.position += ids.length;
    const [records, active] = await Promise.all([
      this.store.resultsOf(this.runId, [...new Set(ids)]),
      runJobIds(this.queue, this.runId, ['active']),
    ]);
    this.tally.add(records);
    return {
      ...this.tally.counted(),
      inFlight: new Set(active).size,
      spendUsd: state.spendUsd,
      budgetUsd: state.meta.budgetUsd,
    };
  }
}

/** The counts part of the live line: in flight, failures by reason (the top three), not run, spend, users per arm. */
export function formatCounts(c: LiveCounts): string {
  const failed = c.failures.reduce((n, f) => n + f.count, 0);
  const reasons = c.failures
    .slice(0, 3)
    .map((f) => `${f.count}× ${f.reason.length > 40 ? `${f.reason.slice(0, 39)}…` : f.reason}`);
  if (c.failures.length > 3) {
    reasons.push('…');
  }
  const parts = [
    `in flight ${c.inFlight}`,
    `failed ${failed}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`,
  ];
  if (c.dropped + c.removed > 0) {
    parts.push(`dropped ${c.dropped}`, `removed ${c.removed}`);
  }
  parts.push(`spend $${c.spendUsd.toFixed(4)}${c.budgetUsd !== null ? ` of $${c.budgetUsd}` : ''}`);
  const arms = Object.entries(c.usersPerArm);
  if (arms.length > 0) {
    parts.push(`users/arm ${arms.map(([arm, n]) => `${arm} ${n}`).join(', ')}`);
  }
  return parts.join('  ');
}

/**
 * Live progress: a bar on a terminal, a line per interval otherwise, with elapsed time, results, smoothed
 * jobs/s and ETA, and (when given) in flight, failures by reason, jobs not run, spend against the budget and
 * users per arm.
 */
export function liveProgress(
  total: number,
  out: NodeJS.WriteStream,
  options: { intervalMs?: number; now?: () => number } = {},
): { update: (done: number, counts?: LiveCounts) => void; stop: () => void } {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  const rate = new LiveRate(total, now());
  const bar = out.isTTY
    ? new SingleBar({ format: 'progress |{bar}| {value}/{total} results  {stats}', stream: out })
    : undefined;
  bar?.start(total, 0, { stats: '' });
  let lastLine = -Infinity;
  return {
    update(done, counts) {
      const sample = rate.sample(done, now());
      const stats = counts ? `${formatLive(sample)}  ${formatCounts(counts)}` : formatLive(sample);
      if (bar) {
        bar.update(done, { stats });
      } else if (sample.elapsedMs - lastLine >= intervalMs || done >= total) {
        lastLine = sample.elapsedMs;
        out.write(`progress: ${done}/${total} results  ${stats}\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}
