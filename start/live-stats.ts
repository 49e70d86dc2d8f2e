import { SingleBar } from 'cli-progress';

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

/**
 * Live progress: a bar on a terminal, a line per interval otherwise, with elapsed time, results, smoothed
 * jobs/s and ETA.
 */
export function liveProgress(
  total: number,
  out: NodeJS.WriteStream,
  options: { intervalMs?: number; now?: () => number } = {},
): { update: (done: number) => void; stop: () => void } {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 10_000;
  const rate = new LiveRate(total, now());
  const bar = out.isTTY
    ? new SingleBar({ format: 'progress |{bar}| {value}/{total} results  {stats}', stream: out })
    : undefined;
  bar?.start(total, 0, { stats: '' });
  let lastLine = -Infinity;
  return {
    update(done) {
      const sample = rate.sample(done, now());
      if (bar) {
        bar.update(done, { stats: formatLive(sample) });
      } else if (sample.elapsedMs - lastLine >= intervalMs || done >= total) {
        lastLine = sample.elapsedMs;
        out.write(`progress: ${done}/${total} results  ${formatLive(sample)}\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}
