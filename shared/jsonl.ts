import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { describeZodError } from './errors.js';

/**
 * Streams the records of a JSONL file (blank lines skipped), each checked against `schema`. A problem throws
 * `toError(message)` with `FILE:LINE: …` naming the line and the field, or `cannot read <what> FILE: …`.
 */
export async function* readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  toError: (message: string, cause?: unknown) => Error,
  what = '',
): AsyncGenerator<{ line: number; value: z.infer<S> }> {
  const input = createReadStream(path, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? 'no such file' : err.message;
      reject(toError(`cannot read ${what ? `${what} ` : ''}${path}: ${reason}`, err));
    });
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') {
        continue;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw toError(`${path}:${line}: not JSON (${(err as Error).message})`, err);
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        throw toError(`${path}:${line}: ${describeZodError(parsed.error)}`);
      }
      yield { line, value: parsed.data };
    }
  } finally {
    lines.close();
    // Closing the reader leaves the file open when a caller stops early (a bad line): close it too.
    input.destroy();
  }
}
