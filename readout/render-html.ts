import type { ExperimentReadout, Readout } from './build-readout.js';
import { formatBudgetOutcome } from './budget-outcome.js';
import { count, percent, pValue, seconds, usd } from './format.js';
import { evidenceLine, harnessLine, mark, metricRows, STATE_LABEL, type Cell } from './metric-rows.js';
import { normalInv } from './distributions.js';
import { escapeHtml as e, histogramChart, intervalChart, type IntervalRow } from './svg-charts.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.2rem;margin-top:2.5rem;border-top:1px solid #ddd;padding-top:1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600}.pass{color:#1e7d32;font-weight:600}.fail{color:#b71c1c;font-weight:600}
.decision{padding:.7rem 1rem;border-radius:6px;font-size:1.1rem;margin:1rem 0}
.decision.qualifies{background:#e8f5e9}.decision.fails,.decision.futile{background:#ffebee}.decision.invalid,.decision.inconclusive{background:#fff8e1;color:#8d6e00}
.warn{background:#fff8e1;padding:.5rem 1rem;border-radius:6px}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
.muted{color:#666}.decision .muted{font-size:.95rem;font-weight:normal}`;

function runSection(readout: Readout): string {
  const { run } = readout;
  const c = run.counts;
  const rows: [string, string][] = [
    ['run', run.runId ?? '(several runs)'],
    ['mode', run.mode],
    ['run seed / readout seed', `${run.runSeed ?? 'n/a'} / ${readout.seed}`],
    ['status', run.status ? `${run.status}${run.stopReason ? ` (${run.stopReason})` : ''}` : 'n/a'],
    ['records', `${count(c.records)}${c.queries != null ? ` of ${count(c.queries)} queries` : ''}`],
    ['completed / failed', `${count(c.completed)} / ${count(c.failed)}`],
    ['dropped (late arrivals, not run)', count(c.dropped)],
    ['removed (from the queue, not run)', count(c.removed)],
    ['judge errors', count(c.judgeErrors)],
    [
      'feedback',
      `positive ${count(c.feedback.positive)}, negative ${count(c.feedback.negative)}, none ${count(c.feedback.none)}`,
    ],
    ['users', count(c.users)],
    [
      'request spend',
      usd(run.requestCostUsd) + (c.unpricedRequests > 0 ? ` (+ ${c.unpricedRequests} unpriced)` : ''),
    ],
    ['harness spend', usd(run.harnessCostUsd)],
    [
      'run spend / budget',
      `${run.spendUsd != null ? usd(run.spendUsd) : 'n/a'} / ${run.budgetUsd != null ? usd(run.budgetUsd) : 'none'}` +
        (run.budget ? ` · ${formatBudgetOutcome(run.budget)}` : ''),
    ],
  ];
  const warnings = readout.warnings.length
    ? `<div class="warn"><strong>Warnings</strong><ul>${readout.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul></div>`
    : '';
  return `<table>${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>${warnings}`;
}

function meanInterval(m: { n: number; mean: number; sd: number }, confidence: number): [number, number] {
  const half = m.n > 1 ? (normalInv(1 - (1 - confidence) / 2) * m.sd) / Math.sqrt(m.n) : 0;
  return [Math.max(0, m.mean - half), m.mean + half];
}

/** The charts of the metrics the experiment lists (`metrics`), as the text report shows only those rows. */
function charts(exp: ExperimentReadout): string {
  const show = new Set(exp.metrics);
  // An arm without users has no rate and no interval: it is left out of the chart, not drawn at 0.
  const conversion = (label: string, m: ExperimentReadout['positiveFeedback']): IntervalRow[] =>
    [m.control, m.treatment].flatMap((r, series) =>
      r.rate == null || r.lower == null || r.upper == null
        ? []
        : [
            {
              label: `${label} · ${series === 0 ? exp.control : exp.treatment}`,
              value: r.rate,
              lower: r.lower,
              upper: r.upper,
              series,
            },
          ],
    );
  const rates: IntervalRow[] = [
    ...(show.has('positive_feedback') ? conversion('positive', exp.positiveFeedback) : []),
    ...(show.has('negative_feedback') ? conversion('negative', exp.negativeFeedback) : []),
  ];
  const cost = [exp.cost.control, exp.cost.treatment].flatMap((m, i): IntervalRow[] => {
    const [lower, upper] = meanInterval(m, exp.confidence);
    return m.n > 0
      ? [{ label: i === 0 ? exp.control : exp.treatment, value: m.mean, lower, upper, series: i }]
      : [];
  });
  const p95 = exp.criteria.find((c) => c.kind === 'p95_latency');
  const conf = percent(exp.confidence, 0);
  const parts = [
    rates.length > 0
      ? intervalChart(rates, (v) => percent(v), `Feedback rates per user, ${conf} intervals`)
      : '',
    show.has('ai_cost') ? intervalChart(cost, usd, `Mean cost per user, ${conf} intervals`) : '',
    show.has('user_latency')
      ? histogramChart(
          exp.latencyHistogram.edgesMs,
          [
            {
              label: exp.control,
              counts: exp.latencyHistogram.control,
              ...(exp.latencyP95.control ? { marker: exp.latencyP95.control.value } : {}),
            },
            {
              label: exp.treatment,
              counts: exp.latencyHistogram.treatment,
              ...(exp.latencyP95.treatment ? { marker: exp.latencyP95.treatment.value } : {}),
            },
          ],
          seconds,
          'Latency per user (summed agent duration), share of users',
          p95 ? { value: p95.threshold * 1000, label: `limit ${p95.threshold} s` } : undefined,
        )
      : '',
  ];
  return `<div class="charts">${parts.join('')}</div>`;
}

function metricsTable(exp: ExperimentReadout): string {
  const cell = (c: Cell) =>
    `<td>${e(c.value)}${c.interval ? ` <span class="muted">${e(c.interval)}</span>` : ''}</td>`;
  const harness = exp.harnessLatency ? `<p class="muted">${e(harnessLine(exp.harnessLatency))}.</p>` : '';
  return (
    `<table><tr><th>metric (per user)</th><th>${e(exp.control)} (${count(exp.users.control)} users)</th><th>${e(exp.treatment)} (${count(
      exp.users.treatment,
    )} users)</th><th>change</th></tr>` +
    metricRows(exp)
      .map((r) => `<tr><td>${e(r.label)}</td>${cell(r.control)}${cell(r.treatment)}${cell(r.change)}</tr>`)
      .join('') +
    `</table>${harness}<p class="muted">Sample ratio: ${count(exp.users.control)} vs ${count(exp.users.treatment)} users, χ² = ${exp.srm.chiSquare.toFixed(
      2,
    )}, ${e(pValue(exp.srm.pValue))}${exp.srm.flagged ? ' — <strong>mismatch</strong>' : ''}.</p>`
  );
}

function experimentSection(exp: ExperimentReadout): string {
  const criteria = exp.criteria
    .map(
      (c) =>
        `<tr><td class="${c.pass === null ? 'muted' : c.pass ? 'pass' : 'fail'}">${mark(c.pass)}</td><td>${e(c.label)}</td><td>${e(c.display)}</td><td class="muted">${e(
          c.note ?? '',
        )}</td></tr>`,
    )
    .join('');
  return (
    `<section id="${e(exp.id)}"><h2>${e(exp.name)} <span class="muted">(${e(exp.id)})</span></h2>` +
    `<p>${e(exp.hypothesis)}</p><p class="muted">${e(exp.flag)}: ${e(exp.control)} (control) vs ${e(exp.treatment)}, audience ${e(
      exp.audience ?? 'everyone',
    )}, ${e(percent(exp.confidence, 0))} confidence</p>` +
    `<table><tr><th></th><th>criterion</th><th>figure</th><th></th></tr>${criteria}</table>` +
    `<div class="decision ${exp.state}"><strong>${STATE_LABEL[exp.state]}: ${e(exp.decision)}</strong><br><span class="muted">${e(
      exp.reason,
    )}</span><br><span class="muted">Evidence: ${e(evidenceLine(exp))}</span></div>` +
    metricsTable(exp) +
    charts(exp) +
    `</section>`
  );
}

/**
 * The readout as one self-contained HTML file: inline CSS and SVG charts (feedback rates with intervals, cost
 * per user, latency distribution), no scripts and no external requests, so it can be mailed or archived.
 */
export function renderHtml(readout: Readout): string {
  const title = `Experiment readout${readout.run.runId ? ` · ${readout.run.runId}` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title><style>${STYLE}</style></head>
<body><h1>${e(title)} <span class="muted">· ${e(readout.run.mode)}</span></h1>
${runSection(readout)}
${readout.experiments.map(experimentSection).join('\n')}
</body></html>
`;
}
