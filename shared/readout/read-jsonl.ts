import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { describeZodError, ResultRecordSchema, type ResultRecord } from '../jobs.js';
import { ReadoutError } from './readout-error.js';

/**
 * Reads a `loadgen export` file: one result record per line (blank lines skipped), streamed so a large
 * export is not held twice. A bad line fails with `FILE:LINE: field: problem`.
 */
export async function readResultsJsonl(path: string): Promise<ResultRecord[]> {
  const records: ResultRecord[] = [];
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') {
        continue;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        throw new ReadoutError(`${path}:${lineNumber}: not JSON (${(err as Error).message})`, { cause: err });
      }
      const parsed = ResultRecordSchema.safeParse(raw);
      if (!parsed.success) {
        throw new ReadoutError(`${path}:${lineNumber}: ${describeZodError(parsed.error)}`);
      }
      records.push(parsed.data);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ReadoutError(`cannot read ${path}: no such file`, { cause: err });
    }
    throw err;
  } finally {
    lines.close();
  }
  return records;
}
