import type { z } from 'zod';
import { RunOptionsSchema } from '../producer/options.js';

/**
 * The body of `POST /api/runs`: the producer's options, except those that name files or folders on the
 * dashboard's machine (`kbDir`, `out`, `fromFile`) or only write a file there (`dryRun`): over
 * HTTP they would let a caller read or write the server's files. Unknown fields are refused by name.
 */
export const RunRequestSchema = RunOptionsSchema.omit({
  kbDir: true,
  out: true,
  fromFile: true,
  dryRun: true,
}).strict();
export type RunRequest = z.output<typeof RunRequestSchema>;
