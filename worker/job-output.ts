import type { Logger } from '../shared/logger.js';

/** What the worker says about one finished job. */
export interface JobSummary {
  jobId: string;
  runId: string;
  status: 'completed' | 'failed';
  /** Result records of the run so far, including this one. */
  done: number;
  /** Jobs in the run, when the run has a record. */
  total: number | null;
  latencyMs?: number | undefined;
  segment?: string | undefined;
  query: string;
  verdict?: string | undefined;
  costUsd?: number | null | undefined;
  error?: string | undefined;
}

const QUERY_WIDTH = 70;

/** One line per job, as the tutorial prints them: `✅ [12/200] 23.4s other_paid: What is ...`. */
export function formatJobLine(summary: JobSummary): string {
  const icon = summary.status === 'completed' ? '✅' : '❌';
  const progress = summary.total === null ? `[${summary.done}]` : `[${summary.done}/${summary.total}]`;
  const seconds = summary.latencyMs === undefined ? '' : ` ${(summary.latencyMs / 1000).toFixed(1)}s`;
  const oneLine = summary.query.replace(/\s+/g, ' ').trim();
  const query = oneLine.length > QUERY_WIDTH ? `${oneLine.slice(0, QUERY_WIDTH - 3)}...` : oneLine;
  const tail =
    summary.status === 'failed'
      ? ` — ${summary.error ?? 'failed'}`
      : summary.verdict
        ? ` (${summary.verdict})`
        : '';
  return `${icon} ${progress}${seconds} ${summary.segment ?? '-'}: ${query}${tail}`;
}

/**
 * Where job summaries go: in a terminal one readable line per job on `stream`; otherwise a JSON log line
 * (`msg: "job finished"`) through the logger, which machines can read.
 */
export function createJobOutput(options: {
  tty: boolean;
  logger: Logger;
  stream?: NodeJS.WritableStream;
}): (summary: JobSummary) => void {
  if (options.tty) {
    const stream = options.stream ?? process.stdout;
    return (summary) => {
      stream.write(`${formatJobLine(summary)}\n`);
    };
  }
  return (summary) => {
    const { query: _query, ...fields } = summary;
    if (summary.status === 'completed') {
      options.logger.info(fields, 'job finished');
    } else {
      options.logger.warn(fields, 'job finished');
    }
  };
}
