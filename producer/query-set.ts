import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describeZodError, QueryJobSchema, type QueryJob } from '../shared/jobs.js';
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
  const input = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (err) => reject(new ProducerError(`cannot read query set ${path}: ${err.message}`)));
  });
  await opened;
  const jobs: QueryJob[] = [];
  const seqs = new Set<number>();
  let lineNo = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === '') {
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new ProducerError(`${path}:${lineNo}: not JSON (${(err as Error).message})`);
    }
    const parsed = QueryJobSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ProducerError(`${path}:${lineNo}: not a query job: ${describeZodError(parsed.error)}`);
    }
    if (seqs.has(parsed.data.seq)) {
      throw new ProducerError(`${path}:${lineNo}: seq ${parsed.data.seq} appears twice`);
    }
    seqs.add(parsed.data.seq);
    jobs.push(parsed.data);
  }
  if (jobs.length === 0) {
    throw new ProducerError(`query set ${path} has no jobs`);
  }
  return jobs;
}
