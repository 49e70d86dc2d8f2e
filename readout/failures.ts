import type { ResultRecord } from '../shared/result-record.js';
import { notRunReason } from '../shared/runs.js';

export interface FailureGroup {
  reason: string;
  count: number;
  /** A few job ids with this reason, to look up in Bull Board. */
  examples: string[];
}

/**
 * The reason a job failed, as a grouping key: the first line of its error, with ids, long or decimal numbers
 * and quoted values masked so that "timeout after 30012 ms" and "timeout after 30020 ms" fall in one group
 * (short numbers such as HTTP statuses stay: a 429 and a 503 are different reasons).
 */
export function failureReason(error: string | undefined): string {
  const line = (error ?? '').split('\n')[0]?.trim() ?? '';
  if (line === '') {
    return '(no error recorded)';
  }
  return line
    .replace(/"[^"]{0,200}"/g, '"…"')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b\d+\.\d+\b|\b\d{4,}\b/g, 'N')
    .slice(0, 200);
}

/**
 * Failed records grouped by {@link failureReason}, most frequent first. Jobs that never ran (dropped, removed)
 * are not failures: they are counted apart, as in the readout.
 */
export function groupFailures(records: readonly ResultRecord[], examples = 3): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const r of records) {
    if (r.status !== 'failed' || notRunReason(r)) {
      continue;
    }
    const reason = failureReason(r.error);
    const group = groups.get(reason) ?? { reason, count: 0, examples: [] };
    group.count += 1;
    if (group.examples.length < examples) {
      group.examples.push(r.jobId);
    }
    groups.set(reason, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
