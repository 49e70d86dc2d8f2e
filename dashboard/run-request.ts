import type { z } from 'zod';
import { RunOptionsSchema } from '../producer/index.js';

/**
 * The most queries (and pool users) one `POST /api/runs` may ask for. The producer generates the set in the
 * dashboard's process before answering, so a million would block Bull Board, the pages and `/health` for
 * that long; `loadgen run` takes larger runs.
 */
export const HTTP_MAX_QUERIES = 20_000;

/**
 * The body of `POST /api/runs`: the producer's options, except those that name files or folders on the
 * dashboard's machine (`kbDir`, `out`, `fromFile`) or only write a file there (`dryRun`): over HTTP they
 * would let a caller read or write the server's files. Unknown fields are refused by name.
 */
export const RunRequestSchema = RunOptionsSchema.omit({
  kbDir: true,
  out: true,
  fromFile: true,
  dryRun: true,
  // Following a run to its end would hold the HTTP request open for the whole run.
  stopWhenDecided: true,
  decideEvery: true,
})
  .strict()
  .superRefine((request, ctx) => {
    for (const field of ['queries', 'users'] as const) {
      const value = request[field];
      if (value === 'auto') {
        ctx.addIssue({ code: 'custom', path: [field], message: 'auto is for loadgen run: give a number' });
      } else if (value !== undefined && value > HTTP_MAX_QUERIES) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `must be at most ${HTTP_MAX_QUERIES} over HTTP (loadgen run takes more)`,
        });
      }
    }
  });
export type RunRequest = z.output<typeof RunRequestSchema>;
