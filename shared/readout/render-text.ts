import type { ExperimentReadout, Readout, RunSummary } from './build-readout.js';
import { count, percent, probability, pValue, seconds, signedPercent, usd } from './format.js';

const MARK = { pass: 'PASS', fail: 'FAIL' } as const;

function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length),
        )
        .join('   ')
        .trimEnd(),
  );
}

function runLines(run: RunSummary, seed: number): string[] {
  const c = run.counts;
  const spend = run.spendUsd != null ? usd(run.spendUsd) : usd(run.requestCostUsd + run.harnessCostUsd);
  return [
    `Run ${run.runId ?? '(several runs)'} · mode ${run.mode} · run seed ${run.runSeed ?? 'n/a'} · readout seed ${seed}` +
      (run.status ? ` · status ${run.status}${run.stopReason ? ` (${run.stopReason})` : ''}` : ''),
    `Records ${count(c.records)}${c.queries != null ? ` of ${count(c.queries)} queries` : ''} · completed ${count(
      c.completed,
    )} · failed ${count(c.failed)} · judge errors ${count(c.judgeErrors)} · users ${count(c.users)}`,
    `Feedback: positive ${count(c.feedback.positive)}, negative ${count(c.feedback.negative)}, none ${count(
      c.feedback.none,
    )}` + (c.unpricedRequests > 0 ? ` · unpriced requests ${count(c.unpricedRequests)}` : ''),
    `Spend ${spend} (requests ${usd(run.requestCostUsd)}, harness ${usd(run.harnessCostUsd)}) · budget ${
      run.budgetUsd != null ? usd(run.budgetUsd) : 'none'
    }`,
  ];
}

const interval = (lo: number, hi: number, f: (v: number) => string) => `[${f(lo)}, ${f(hi)}]`;

function experimentLines(exp: ExperimentReadout): string[] {
  const { control: c, treatment: t } = exp;
  const conf = percent(exp.confidence, 0);
  const lines = [
    '',
    `${exp.name} (${exp.id}): ${exp.flag} ${c} → ${t}, audience ${exp.audience ?? 'everyone'}, ${conf} intervals`,
    `  users: ${c} ${count(exp.users.control)}, ${t} ${count(exp.users.treatment)} · ` +
      (exp.srm.flagged
        ? `SAMPLE RATIO MISMATCH (p = ${pValue(exp.srm.pValue)})`
        : `sample ratio ok (p = ${pValue(exp.srm.pValue)})`),
  ];
  const rows: string[][] = [['metric (per user)', c, t, 'change']];
  const show = new Set(exp.metrics);
  // Negative feedback is lower-is-better: show the chance the treatment has less of it.
  const conversion = (label: string, m: ExperimentReadout['positiveFeedback'], lowerIsBetter = false) => [
    label,
    `${percent(m.control.rate)} ${interval(m.control.lower, m.control.upper, (v) => percent(v))}`,
    `${percent(m.treatment.rate)} ${interval(m.treatment.lower, m.treatment.upper, (v) => percent(v))}`,
    `${signedPercent(m.lift.estimate)} ${interval(m.lift.lower, m.lift.upper, (v) => signedPercent(v))} · ${
      lowerIsBetter
        ? `P(lower) ${probability(1 - m.probabilityToBeat)}`
        : `P(beat) ${probability(m.probabilityToBeat)}`
    }`,
  ];
  if (show.has('positive_feedback')) {
    rows.push(conversion('positive feedback rate', exp.positiveFeedback));
  }
  if (show.has('negative_feedback')) {
    rows.push(conversion('negative feedback rate', exp.negativeFeedback, true));
  }
  if (show.has('user_latency')) {
    const q = exp.latencyP95;
    rows.push([
      'p95 latency',
      `${seconds(q.control.value)} ${interval(q.control.lower, q.control.upper, seconds)}`,
      `${seconds(q.treatment.value)} ${interval(q.treatment.lower, q.treatment.upper, seconds)}`,
      q.control.value > 0 ? signedPercent(q.treatment.value / q.control.value - 1) : 'n/a',
    ]);
  }
  const mean = (label: string, m: ExperimentReadout['cost'], f: (v: number) => string) => [
    label,
    m.control.n > 0 ? f(m.control.mean) : 'n/a',
    m.treatment.n > 0 ? f(m.treatment.mean) : 'n/a',
    m.relative
      ? `${signedPercent(m.relative.estimate)} ${interval(m.relative.lower, m.relative.upper, (v) => signedPercent(v))}`
      : 'n/a',
  ];
  if (show.has('average_tokens')) {
    rows.push(mean('tokens (mean)', exp.tokens, (v) => count(Math.round(v))));
  }
  if (show.has('ai_cost')) {
    rows.push(mean('cost (mean)', exp.cost, usd));
  }
  lines.push(...table(rows));
  lines.push('  criteria:');
  lines.push(
    ...table(
      exp.criteria.map((cr) => [
        MARK[cr.pass ? 'pass' : 'fail'],
        cr.label,
        cr.display,
        cr.note ? `(${cr.note})` : '',
      ]),
      '    ',
    ),
  );
  lines.push(`  decision: ${exp.decision}`, `  why: ${exp.reason}`);
  return lines;
}

/** The readout as a plain-text report for a terminal (no colour codes, so it pipes and diffs cleanly). */
export function renderText(readout: Readout): string {
  const lines = runLines(readout.run, readout.seed);
  for (const exp of readout.experiments) {
    lines.push(...experimentLines(exp));
  }
  if (readout.warnings.length > 0) {
    lines.push('', 'Warnings:', ...readout.warnings.map((w) => `  ! ${w}`));
  }
  return lines.join('\n') + '\n';
}
