import { z } from 'zod';
import { StopWhenDecidedSchema } from '../readout/index.js';
import { parseDuration, parseStages } from '../shared/arrivals.js';

/** A string that `parse` accepts; its error message is the issue's. */
const parsed = (parse: (text: string) => unknown) =>
  z.string().superRefine((text, ctx) => {
    try {
      parse(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

export const StartOptionsSchema = z
  .object({
    queries: z.union(
      [z.literal('auto'), z.coerce.number().int().min(1, 'must be at least 1').max(1_000_000)],
      {
        error: 'must be auto or an integer from 1 to 1000000',
      },
    ),
    workers: z.coerce.number().int().min(1).max(64),
    concurrency: z.coerce.number().int().min(1).max(500),
    dashboardPort: z.coerce.number().int().min(0).max(65535),
    seed: z.coerce.number().int(),
    budgetUsd: z.coerce.number().positive().optional(),
    exit: z.boolean(),
    zeroLatency: z.boolean(),
    /** Run `loadgen doctor` first in live mode (`--no-doctor` skips it). */
    doctor: z.boolean(),
    stopWhenDecided: StopWhenDecidedSchema,
    decideEvery: z.coerce.number().int().min(1, 'must be at least 1'),
    logs: z.string().optional(),
    /** Open-model traffic, passed to the producer (`loadgen run` validates them). */
    rate: z.coerce.number().positive().optional(),
    duration: parsed(parseDuration).optional(),
    stages: parsed(parseStages).optional(),
    arrival: z.enum(['constant', 'poisson']).optional(),
    dropAfter: parsed(parseDuration).optional(),
    /** Write the end summary as JSON here (k6's `--summary-export`). */
    summaryExport: z.string().optional(),
    /** CI gate: exit with `report --check`'s code when the run ends (implies --exit). */
    check: z.boolean().default(false),
    /** Write the readout as JSON / HTML to these files when the run ends (or is interrupted). */
    json: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    /** Keep the data of start's own redis-server (saved to dump.rdb in its directory) instead of deleting it. */
    keepRedis: z.boolean().default(false),
  })
  .refine((o) => o.rate === undefined || o.duration !== undefined || o.stages !== undefined, {
    path: ['rate'],
    message: '--rate needs --duration (or --stages)',
  });
export type StartOptions = z.infer<typeof StartOptionsSchema>;
