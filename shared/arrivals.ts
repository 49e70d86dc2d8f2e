import { Random } from './random.js';

/** How arrivals are spaced: evenly (k6's arrival-rate executors) or as a Poisson process of the same rate. */
export const ARRIVAL_KINDS = ['constant', 'poisson'] as const;
export type ArrivalKind = (typeof ARRIVAL_KINDS)[number];

/** One k6-style stage: the rate (arrivals per second) ramps linearly to `target` over `durationMs`. */
export interface Stage {
  durationMs: number;
  target: number;
}

/** An open-model schedule: the rate starts at `startRate` and follows the stages. */
export interface ArrivalSchedule {
  arrival: ArrivalKind;
  startRate: number;
  stages: Stage[];
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a k6 duration (`500ms`, `30s`, `10m`, `1h30m`, `1m30s`) to milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const spec = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(spec)) {
    throw new Error(`"${text}" is not a duration such as 500ms, 30s, 10m or 1h30m`);
  }
  let ms = 0;
  for (const [, value, unit] of spec.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(value) * (UNIT_MS[unit as string] ?? 0);
  }
  return Math.round(ms);
}

/** Parses k6-style stages `30s:3,10m:3,1m:10` (duration:target rate per second). */
export function parseStages(text: string): Stage[] {
  const stages = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [duration = '', target = '', ...rest] = part.split(':');
      const rate = Number(target);
      if (rest.length > 0 || target.trim() === '' || !Number.isFinite(rate) || rate < 0) {
        throw new Error(`stage "${part}" is not duration:target (e.g. 30s:3, a rate per second >= 0)`);
      }
      const durationMs = parseDuration(duration);
      if (durationMs <= 0) {
        throw new Error(`stage "${part}" has no duration`);
      }
      return { durationMs, target: rate };
    });
  if (stages.length === 0) {
    throw new Error(`"${text}" has no stage (e.g. 30s:3,10m:3,1m:10)`);
  }
  return stages;
}

/** The schedule of `--rate R --duration D` (constant rate) or `--stages` (starting from `--rate`, else 0). */
export function scheduleFrom(options: {
  arrival?: ArrivalKind | undefined;
  rate?: number | undefined;
  durationMs?: number | undefined;
  stages?: Stage[] | undefined;
}): ArrivalSchedule | undefined {
  const arrival = options.arrival ?? 'constant';
  if (options.stages) {
    return { arrival, startRate: options.rate ?? 0, stages: options.stages };
  }
  if (options.rate === undefined) {
    return undefined;
  }
  if (options.durationMs === undefined) {
    throw new Error('--rate needs --duration (or --stages)');
  }
  return {
    arrival,
    startRate: options.rate,
    stages: [{ durationMs: options.durationMs, target: options.rate }],
  };
}

/** Expected arrivals of a schedule: the integral of its rate. */
export function expectedArrivals(schedule: ArrivalSchedule): number {
  let from = schedule.startRate;
  let total = 0;
  for (const stage of schedule.stages) {
    total += ((from + stage.target) / 2) * (stage.durationMs / 1000);
    from = stage.target;
  }
  return total;
}

/** Total length of a schedule, ms. */
export function scheduleDurationMs(schedule: ArrivalSchedule): number {
  return schedule.stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/**
 * Arrival offsets (ms from the start) of a schedule. The cumulative rate Λ(t) is inverted at k = 0, 1, 2, …
 * (constant) or at the partial sums of Exp(1) draws (Poisson, seeded): a non-homogeneous process whose rate
 * follows the stages' linear ramps. At most `limit` arrivals.
 */
export function arrivalOffsets(schedule: ArrivalSchedule, seed: number, limit = Infinity): number[] {
  const random = new Random(seed);
  const next = (v: number) => (schedule.arrival === 'poisson' ? v + random.exponential(1) : v + 1);
  const offsets: number[] = [];
  let value = schedule.arrival === 'poisson' ? random.exponential(1) : 0;
  let base = 0;
  let stageStartMs = 0;
  let from = schedule.startRate;
  for (const stage of schedule.stages) {
    const seconds = stage.durationMs / 1000;
    const to = stage.target;
    const mass = ((from + to) / 2) * seconds;
    while (value < base + mass && offsets.length < limit) {
      const m = value - base;
      // τ solving from·τ + (to − from)·τ²/(2·seconds) = m, in a form that is stable when from ≈ to.
      const tau = m <= 0 ? 0 : (2 * m) / (from + Math.sqrt(from * from + (2 * (to - from) * m) / seconds));
      offsets.push(Math.round(stageStartMs + tau * 1000));
      value = next(value);
    }
    base += mass;
    stageStartMs += stage.durationMs;
    from = to;
  }
  return offsets;
}
