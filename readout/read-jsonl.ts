import { ResultRecordSchema, type ResultRecord } from '../shared/result-record.js';
import { readJsonl } from '../shared/jsonl.js';
import { ReadoutError } from './readout-error.js';

/**
 * Reads a `loadgen export` file: one result record per line (blank lines skipped), streamed so a large
 * export is not held twice. A bad line fails with `FILE:LINE: field: problem`.
 */
export async function readResultsJsonl(path: string): Promise<ResultRecord[]> {
  const records: ResultRecord[] = [];
  const toError = (message: string, cause?: unknown) => new ReadoutError(message, { cause });
  for await (const { value } of readJsonl(path, ResultRecordSchema, toError)) {
    records.push(value);
  }
  return records;
}
