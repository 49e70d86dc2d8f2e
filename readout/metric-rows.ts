import type { ExperimentReadout } from './build-readout.js';
import { boundPercent, count, percent, probability, seconds, signedPercent, usd } from './format.js';

/** A table cell: the figure and, apart, its interval (the HTML report greys the interval). */
export interface Cell {
  value: string;
  interval?: string;
}

export interface MetricRow {
  label: string;
  control: Cell;
  treatment: Cell;
  change: Cell;
}

const NO_USERS: Cell = { value: 'no users' };
const NOT_DEFINED: Cell = { value: 'not defined' };

const range = (lo: number, hi: number, f: (v: number) => string) => `[${f(lo)}, ${f(hi)}]`;

/**
 * The metric table of an experiment, shared by the text and HTML reports so they cannot disagree: an empty
 * arm reads "no users" (no interval, no change), a relative change from a zero base "not defined".
 */
export function metricRows(exp: ExperimentReadout): MetricRow[] {
  const rows: MetricRow[] = [];
  const show = new Set(exp.metrics);
  const empty = exp.users.control === 0 || exp.users.treatment === 0;
  // Negative feedback is lower-is-better: show the chance the treatment has less of it.
  const conversion = (label: string, m: ExperimentReadout['positiveFeedback'], lowerIsBetter = false) => {
    const rate = (r: ExperimentReadout['positiveFeedback']['control']): Cell =>
      r.rate == null || r.lower == null || r.upper == null
        ? NO_USERS
        : { value: percent(r.rate), interval: range(r.lower, r.upper, (v) => percent(v)) };
    const beat =
      m.probabilityToBeat == null
        ? ''
        : ` · ${lowerIsBetter ? `P(lower) ${probability(1 - m.probabilityToBeat)}` : `P(beat) ${probability(m.probabilityToBeat)}`}`;
    const change: Cell = m.lift
      ? {
          value: signedPercent(m.lift.estimate),
          interval: range(m.lift.lower, m.lift.upper, (v) => signedPercent(v)) + beat,
        }
      : empty
        ? NO_USERS
        : { value: 'not defined', interval: `(control rate 0)${beat}` };
    rows.push({ label, control: rate(m.control), treatment: rate(m.treatment), change });
  };
  if (show.has('positive_feedback')) {
    conversion('positive feedback rate', exp.positiveFeedback);
  }
  if (show.has('negative_feedback')) {
    conversion('negative feedback rate', exp.negativeFeedback, true);
  }
  if (show.has('user_latency')) {
    const q = exp.latencyP95;
    const arm = (e: typeof q.control): Cell =>
      e ? { value: seconds(e.value), interval: range(e.lower, e.upper, seconds) } : NO_USERS;
    rows.push({
      label: 'p95 latency',
      control: arm(q.control),
      treatment: arm(q.treatment),
      change:
        !q.control || !q.treatment
          ? NO_USERS
          : q.control.value > 0
            ? { value: signedPercent(q.treatment.value / q.control.value - 1) }
            : NOT_DEFINED,
    });
  }
  const mean = (label: string, m: ExperimentReadout['cost'], f: (v: number) => string) => {
    const arm = (s: typeof m.control): Cell => (s.n > 0 ? { value: f(s.mean) } : NO_USERS);
    rows.push({
      label,
      control: arm(m.control),
      treatment: arm(m.treatment),
      change: m.relative
        ? {
            value: signedPercent(m.relative.estimate),
            interval: range(m.relative.lower, m.relative.upper, (v) => signedPercent(v)),
          }
        : m.control.n === 0 || m.treatment.n === 0
          ? NO_USERS
          : NOT_DEFINED,
    });
  };
  if (show.has('average_tokens')) {
    mean('tokens (mean)', exp.tokens, (v) => count(Math.round(v)));
  }
  if (show.has('ai_cost')) {
    mean('cost (mean)', exp.cost, usd);
  }
  return rows;
}

/** The state as a banner word. */
export const STATE_LABEL: Record<ExperimentReadout['state'], string> = {
  qualifies: 'QUALIFIES',
  fails: 'FAILS',
  futile: 'FUTILE',
  inconclusive: 'INCONCLUSIVE',
  invalid: 'INVALID',
};

/** PASS / FAIL / SKIP (not evaluated) of a criterion. */
export function mark(pass: boolean | null): string {
  return pass === null ? 'SKIP' : pass ? 'PASS' : 'FAIL';
}

/** One line on the evidence: users against the required size, and the lift's always-valid interval. */
export function evidenceLine(exp: ExperimentReadout): string {
  const { requiredUsersPerArm: required, sequential } = exp.evidence;
  const users =
    required === null
      ? `no planned size (no lift criterion)`
      : `users ${count(exp.users.control)} and ${count(exp.users.treatment)} of ${count(required)} per arm needed`;
  const intervals = [
    sequential.lift ? `lift ${range(sequential.lift.lower, sequential.lift.upper, boundPercent)}` : '',
    sequential.costIncrease
      ? `cost ${range(sequential.costIncrease.lower, sequential.costIncrease.upper, boundPercent)}`
      : '',
  ].filter(Boolean);
  return intervals.length > 0
    ? `${users}; ${intervals.join(', ')} (always-valid ${percent(exp.confidence, 0)} intervals)`
    : users;
}

/** The harness's own time, apart from the models' latency the criteria judge. */
export function harnessLine(h: NonNullable<ExperimentReadout['harnessLatency']>): string {
  const f = (ms: number | null) => (ms == null ? 'not recorded' : seconds(ms));
  return `harness (not the models; p95 per request): queue wait ${f(h.queueWaitP95Ms)}, end-to-end minus agent time ${f(
    h.overheadP95Ms,
  )}`;
}
