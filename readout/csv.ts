import type { ResultRecord } from '../shared/result-record.js';

/** The CSV columns of `loadgen export --format csv`: one row per result record, nested fields flattened. */
export const CSV_COLUMNS = [
  'jobId',
  'runId',
  'seq',
  'status',
  'error',
  'userKey',
  'segment',
  'topic',
  'complexity',
  'piiInjected',
  'variations',
  'route',
  'latencyMs',
  'durationMs',
  'queueWaitMs',
  'tokensInput',
  'tokensOutput',
  'tokensTotal',
  'requestCostUsd',
  'harnessCostUsd',
  'feedback',
  'attempts',
  'finishedAt',
] as const;

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, its quotes doubled. */
function field(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

/** One record as a CSV line; variations as `config=variation;…`, route as `a>b`. */
export function csvRow(r: ResultRecord): string {
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    jobId: r.jobId,
    runId: r.runId,
    seq: r.seq,
    status: r.status,
    error: r.error,
    userKey: r.userKey,
    segment: r.segment,
    topic: r.topic,
    complexity: r.complexity,
    piiInjected: r.piiInjected,
    variations: Object.entries(r.variations)
      .map(([config, variation]) => `${config}=${variation}`)
      .join(';'),
    route: r.route.join('>'),
    latencyMs: r.latencyMs,
    durationMs: r.durationMs,
    queueWaitMs: r.queueWaitMs,
    tokensInput: r.tokens.input,
    tokensOutput: r.tokens.output,
    tokensTotal: r.tokens.total,
    requestCostUsd: r.requestCostUsd,
    harnessCostUsd: r.harnessCostUsd,
    feedback: r.feedback,
    attempts: r.attempts,
    finishedAt: r.finishedAt,
  };
  return `${CSV_COLUMNS.map((c) => field(values[c])).join(',')}\n`;
}
