import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { bullBoardQueueUrl } from './bull-board.js';
import type { RunListItem } from './run-reader.js';
import type { RunOverview } from './run-overview.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
:root { --fg:#1d2330; --muted:#5c6577; --line:#dde2ea; --bg:#f6f7f9; --ok:#2e7d32; --bad:#c62828; --run:#1565c0; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.5rem; background:#1d2330; color:#fff; }
header a { color:#fff; text-decoration:none; opacity:.85; } header a:hover { opacity:1; }
header .brand { font-weight:700; opacity:1; }
main { max-width:1200px; margin:0 auto; padding:1.2rem 1.5rem 3rem; }
h1 { font-size:1.4rem; margin:.2rem 0 1rem; display:flex; gap:.8rem; align-items:center; flex-wrap:wrap; }
h2 { font-size:1.05rem; margin:1.6rem 0 .6rem; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(220px, 1fr)); gap:1rem; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; }
.card h3 { margin:0 0 .3rem; font-size:.8rem; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
.big { font-size:1.5rem; font-weight:600; }
.muted { color:var(--muted); }
h1 .small { font-size:.9rem; font-weight:500; margin-left:auto; }
.bar { height:8px; background:var(--line); border-radius:4px; overflow:hidden; margin:.4rem 0; }
.bar > div { height:100%; background:var(--run); }
.bar.spend > div { background:#ef6c00; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.45rem .7rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.8rem; color:var(--muted); font-weight:600; background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.status { display:inline-block; padding:.1rem .55rem; border-radius:999px; font-size:.8rem; font-weight:600;
  background:#e3f2fd; color:var(--run); }
.status-done { background:#e8f5e9; color:var(--ok); }
.status-stopped, .status-stopped-by-budget { background:#fff3e0; color:#e65100; }
.mode { font-size:.8rem; padding:.1rem .5rem; border:1px solid var(--line); border-radius:4px; color:var(--muted); }
.chart { background:#fff; border:1px solid var(--line); border-radius:8px; padding:.8rem; height:280px; }
footer { color:var(--muted); font-size:.8rem; margin-top:2rem; }
body.stale footer::after { content:" · cannot reach the server, retrying"; color:var(--bad); }
a { color:var(--run); }
`;

/** JSON for a `<script type="application/json">` block: `<` is escaped so no value can close the tag. */
function pageData(value: unknown): HtmlEscapedString {
  return raw(JSON.stringify(value).replace(/</g, '\\u003c'));
}

/** The frame of every dashboard page: navigation, styles and (when `script`) the polling script. */
export function layout(title: string, body: Html, options: { chart?: boolean; script?: boolean } = {}): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · loadgen</title>
        <style>
          ${raw(STYLE)}
        </style>
        ${options.chart ? html`<script src="/static/chart.umd.min.js"></script>` : ''}
        ${options.script ? html`<script src="/static/dashboard.js" defer></script>` : ''}
      </head>
      <body>
        <header>
          <a class="brand" href="/">loadgen</a>
          <a href="/">Runs</a>
          <a href="/queues">Bull Board</a>
        </header>
        <main>
          ${body}
          <footer>Updated <span id="updated">${new Date().toISOString()}</span></footer>
        </main>
      </body>
    </html>`;
}

export type QueueCounts = Record<string, number>;

/** `/`: every run with its status, progress and spend, and the live counts of the query queue. */
export function runsListPage(runs: RunListItem[], queue: QueueCounts, refreshMs: number): Html {
  const data = { api: '/api/runs', refreshMs, initial: { runs, queue } };
  const countCard = (state: string) =>
    html`<div class="card">
      <h3>${state}</h3>
      <div class="big" data-field="queue.${state}" data-format="int">${queue[state] ?? 0}</div>
    </div>`;
  return layout(
    'Runs',
    html`<h1>Runs</h1>
      <h2>Query queue</h2>
      <div class="cards">${['waiting', 'active', 'delayed', 'completed', 'failed'].map(countCard)}</div>
      <h2>Runs</h2>
      <table>
        <thead>
          <tr>
            <th>run</th>
            <th>created</th>
            <th>mode</th>
            <th>status</th>
            <th class="num">results / queries</th>
            <th class="num">spend</th>
          </tr>
        </thead>
        <tbody id="runs"></tbody>
      </table>
      <script type="application/json" id="page-data">
        ${pageData(data)}
      </script>`,
    { script: true },
  );
}

function show(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    return entries.length === 0 ? '–' : entries.map(([k, v]) => `${k}: ${show(v)}`).join(', ');
  }
  return JSON.stringify(value) ?? '–';
}

function table(rows: [string, unknown][]): Html {
  return html`<table>
    <tbody>
      ${rows.map(
        ([k, v]) =>
          html`<tr>
            <th>${k}</th>
            <td>${show(v)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** `/runs/:id`: progress, spend against budget, throughput over time, failures by reason; polls the API. */
export function runPage(summary: RunOverview, queueName: string, refreshMs: number): Html {
  const id = encodeURIComponent(summary.runId);
  const data = {
    api: `/api/runs/${id}`,
    refreshMs,
    queueUrl: bullBoardQueueUrl(queueName),
    initial: summary,
  };
  const feedbackRows = ['positive', 'negative', 'none', 'judge_error'].map(
    (verdict) =>
      html`<tr>
        <th>${verdict}</th>
        <td class="num" data-field="feedback.${verdict}" data-format="int">
          ${summary.feedback[verdict] ?? 0}
        </td>
      </tr>`,
  );
  return layout(
    `Run ${summary.runId}`,
    html`<h1>
        Run ${summary.runId}
        <span data-status="status" data-field="status">${summary.status}</span>
        <span class="mode" data-field="mode">${summary.mode}</span>
        <a class="small" href="/runs/${id}/report">experiment readout →</a>
      </h1>
      <p class="controls">
        <button type="button" data-control="/api/runs/${id}/pause">pause</button>
        <button type="button" data-control="/api/runs/${id}/resume">resume</button>
        <button type="button" data-control="/api/runs/${id}/stop">stop</button>
        <span class="muted small" id="control-result"></span>
      </p>
      <p class="muted">
        created
        <span data-field="createdAt" data-format="time">${new Date(summary.createdAt).toISOString()}</span>
        · seed ${summary.seed}
        <span data-field="stopReason" data-format="opt">${summary.stopReason ?? ''}</span>
      </p>
      <div class="cards">
        <div class="card">
          <h3>Progress</h3>
          <div class="big">
            <span data-field="progress.recorded" data-format="int"></span> /
            <span data-field="progress.total" data-format="int"></span>
          </div>
          <div class="bar"><div data-bar="progress.percent"></div></div>
          <div>
            completed <strong id="completed" data-field="progress.completed" data-format="int"></strong> ·
            failed
            <strong id="failed" data-field="progress.failed" data-format="int"></strong>
          </div>
          <div class="muted">
            not run: dropped <span id="dropped" data-field="progress.dropped" data-format="int"></span> ·
            removed <span id="removed" data-field="progress.removed" data-format="int"></span>
          </div>
        </div>
        <div class="card">
          <h3>Spend</h3>
          <div class="big">
            <span data-field="spend.spentUsd" data-format="usd"></span>
            <span class="muted">of <span data-field="spend.budgetUsd" data-format="usd"></span></span>
          </div>
          <div class="bar spend"><div data-bar="spend.percentOfBudget"></div></div>
          <div class="muted">
            requests <span data-field="spend.requestCostUsd" data-format="usd"></span> · harness
            <span data-field="spend.harnessCostUsd" data-format="usd"></span> · unpriced results
            <span data-field="spend.unpricedResults" data-format="int"></span>
          </div>
        </div>
        <div class="card">
          <h3>Latency (completed)</h3>
          <div class="big">
            <span data-field="latencyMs.p95" data-format="ms"></span> <span class="muted">p95</span>
          </div>
          <div class="muted">p50 <span data-field="latencyMs.p50" data-format="ms"></span></div>
        </div>
        <div class="card">
          <h3>Feedback</h3>
          <table>
            <tbody>
              ${feedbackRows}
            </tbody>
          </table>
        </div>
      </div>
      <h2>Throughput (results finished per interval)</h2>
      <div class="chart">
        <canvas id="throughput" aria-label="completed and failed per interval"></canvas>
      </div>
      <h2>Failures by reason</h2>
      <table>
        <thead>
          <tr>
            <th>reason</th>
            <th class="num">jobs</th>
            <th>examples (Bull Board)</th>
          </tr>
        </thead>
        <tbody id="failures"></tbody>
      </table>
      <h2>Plan</h2>
      ${table([
        ['queries by segment', summary.counts.bySegment],
        ['queries by complexity', summary.counts.byComplexity],
        ['queries with personal data', String(summary.counts.pii)],
        ...Object.entries(summary.options),
      ])}
      <script type="application/json" id="page-data">
        ${pageData(data)}
      </script>`,
    { chart: true, script: true },
  );
}

/** A plain page with a heading and a message, e.g. for a readout that cannot be built yet. */
export function messagePage(title: string, message: string): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p>${message}</p>`,
  );
}
