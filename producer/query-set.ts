import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { QueryJobSchema, type QueryJob } from '../shared/query-job.js';
import { readJsonl } from '../shared/jsonl.js';
import { ProducerError } from './errors.js';

/** Writes a query set as JSONL, one query job per line. */
export async function writeQuerySet(path: string, jobs: Iterable<QueryJob>): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const failed = once(out, 'error').then(([err]) => {
    throw new ProducerError(`cannot write query set ${path}: ${(err as Error).message}`);
  });
  const write = (async () => {
    for (const job of jobs) {
      if (!out.write(`${JSON.stringify(job)}\n`)) {
        await once(out, 'drain');
      }
    }
    out.end();
    await once(out, 'finish');
  })();
  await Promise.race([write, failed]);
}

/**
 * Reads a JSONL query set (blank lines ignored). Each line must be a valid query job; the first bad line
 * throws a `ProducerError` naming the file, the line and the field. Sequence numbers must be unique.
 */
export async function readQuerySet(path: string): Promise<QueryJob[]> {
  const jobs: QueryJob[] = [];
  const seqs = new Set<number>();
  const toError = (message: string, cause?: unknown) => new ProducerError(message, { cause });
  for await (const { line, value } of readJsonl(path, QueryJobSchema, toError, 'query set')) {
    if (seqs.has(value.seq)) {
      throw new ProducerError(`${path}:${line}: seq ${value.seq} appears twice`);
    }
    seqs.add(value.seq);
    jobs.push(value);
  }
  if (jobs.length === 0) {
    throw new ProducerError(`query set ${path} has no jobs`);
  }
  return jobs;
}
