import { z } from 'zod';
import type { Random } from '../shared/random.js';

const bounds = {
  /** Draws below are raised to this. */
  min: z.number().optional(),
  /** Draws above are lowered to this. */
  max: z.number().optional(),
};

/**
 * A distribution of a non-negative quantity (milliseconds, tokens). A bare number is a constant, so an override
 * like `ttftMs: 0` switches latency off.
 */
export const DistributionSchema = z.union([
  z.number().min(0),
  z.object({ dist: z.literal('fixed'), value: z.number().min(0) }),
  z.object({ dist: z.literal('uniform'), min: z.number().min(0), max: z.number().min(0) }),
  z.object({ dist: z.literal('normal'), mean: z.number(), sd: z.number().min(0), ...bounds }),
  // Latencies and lengths are right-skewed: a log-normal with a median and a spread is the usual model.
  z.object({
    dist: z.literal('lognormal'),
    median: z.number().positive(),
    sigma: z.number().min(0),
    ...bounds,
  }),
]);
export type Distribution = z.infer<typeof DistributionSchema>;

/** One draw from `d`, never negative. */
export function sample(d: Distribution, random: Random): number {
  if (typeof d === 'number') {
    return d;
  }
  switch (d.dist) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * random.next();
    case 'normal':
      return clamp(random.normal(d.mean, d.sd), d.min, d.max);
    case 'lognormal':
      return clamp(d.median * Math.exp(random.normal(0, d.sigma)), d.min, d.max);
  }
}

function clamp(value: number, min = 0, max = Number.POSITIVE_INFINITY): number {
  return Math.min(Math.max(value, min, 0), max);
}
