import type { ExperimentReadout, Readout, RunSummary } from './build-readout.js';
import { formatBudgetOutcome } from './budget-outcome.js';
import { count, percent, pValue, usd } from './format.js';
import { evidenceLine, harnessLine, mark, metricRows, STATE_LABEL, type Cell } from './metric-rows.js';

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
    // Jobs that never ran are not failures (k6 counts dropped iterations apart too).
    ...(c.dropped + c.removed > 0
      ? [
          `Not run: dropped ${count(c.dropped)} (could not start within their grace period) · removed ${count(
            c.removed,
          )} (taken out of the queue)`,
        ]
      : []),
    `Feedback: positive ${count(c.feedback.positive)}, negative ${count(c.feedback.negative)}, none ${count(
      c.feedback.none,
    )}` + (c.unpricedRequests > 0 ? ` · unpriced requests ${count(c.unpricedRequests)}` : ''),
    `Spend ${spend} (requests ${usd(run.requestCostUsd)}, harness ${usd(run.harnessCostUsd)}) · budget ${
      run.budgetUsd != null ? usd(run.budgetUsd) : 'none'
    }` + (run.budget ? ` · ${formatBudgetOutcome(run.budget)}` : ''),
  ];
}

function experimentLines(exp: ExperimentReadout): string[] {
  const { control: c, treatment: t } = exp;
  const conf = percent(exp.confidence, 0);
  const lines = [
    '',
    `${exp.name} (${exp.id}): ${exp.flag} ${c} → ${t}, audience ${exp.audience ?? 'everyone'}, ${conf} intervals`,
    `  users: ${c} ${count(exp.users.control)}, ${t} ${count(exp.users.treatment)} · ` +
      (exp.srm.flagged
        ? `SAMPLE RATIO MISMATCH (${pValue(exp.srm.pValue)})`
        : `sample ratio ok (${pValue(exp.srm.pValue)})`),
  ];
  const cell = (x: Cell) => (x.interval ? `${x.value} ${x.interval}` : x.value);
  const rows: string[][] = [['metric (per user)', c, t, 'change']];
  for (const row of metricRows(exp)) {
    rows.push([row.label, cell(row.control), cell(row.treatment), cell(row.change)]);
  }
  lines.push(...table(rows));
  if (exp.harnessLatency) {
    lines.push(`  ${harnessLine(exp.harnessLatency)}`);
  }
  lines.push('  criteria:');
  lines.push(
    ...table(
      exp.criteria.map((cr) => [mark(cr.pass), cr.label, cr.display, cr.note ? `(${cr.note})` : '']),
      '    ',
    ),
  );
  lines.push(
    `  evidence: ${evidenceLine(exp)}`,
    `  state: ${STATE_LABEL[exp.state]}`,
    `  decision: ${exp.decision}`,
    `  why: ${exp.reason}`,
  );
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
