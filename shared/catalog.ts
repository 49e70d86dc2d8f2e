import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { dataPath } from './paths.js';

/** The catalog of experiments and metrics (see its header): one file, read by every part that needs them. */
export const CATALOG_PATH = dataPath('experiments.yaml');

export const MetricSchema = z
  .object({
    key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits and . _ -'),
    /** Name shown in LaunchDarkly. */
    name: z.string().min(1),
    description: z.string().default(''),
    /** The event the metric counts or sums. */
    eventKey: z.string().min(1),
    /** false: conversion rate (users with at least one event); true: the events' values. */
    numeric: z.boolean(),
    unit: z.string().optional(),
    /** How one user's values combine (numeric only). */
    unitAggregation: z.enum(['sum', 'average']).optional(),
    /** Across users: the mean or a percentile (numeric only). */
    analysis: z.enum(['mean', 'percentile']).optional(),
    percentile: z.number().int().min(1).max(99).optional(),
    successCriteria: z.enum(['HigherThanBaseline', 'LowerThanBaseline']),
  })
  .superRefine((m, ctx) => {
    const numericOnly = ['unit', 'unitAggregation', 'analysis', 'percentile'] as const;
    if (!m.numeric) {
      for (const field of numericOnly.filter((f) => m[f] !== undefined)) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'only a numeric metric has one' });
      }
      return;
    }
    for (const field of ['unitAggregation', 'analysis'] as const) {
      if (m[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'a numeric metric needs one' });
      }
    }
    if ((m.analysis === 'percentile') !== (m.percentile !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['percentile'],
        message: 'is given exactly when analysis is percentile',
      });
    }
  });
export type Metric = z.infer<typeof MetricSchema>;

export const MetricsSchema = z
  .array(MetricSchema)
  .min(1)
  .superRefine((metrics, ctx) => {
    const seen = new Set<string>();
    metrics.forEach((m, i) => {
      if (seen.has(m.key)) {
        ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `duplicate key "${m.key}"` });
      }
      seen.add(m.key);
    });
  });

/** Reads the catalog file as YAML; an unreadable file is an error naming it. */
export function readCatalogFile(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read experiments file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The catalog's metrics, validated; a bad one throws an error naming the file and the field. */
export function loadMetrics(path = CATALOG_PATH): Metric[] {
  const result = z.object({ metrics: MetricsSchema }).safeParse(readCatalogFile(path));
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid experiments file ${path}:\n${problems.join('\n')}`);
  }
  return result.data.metrics;
}

/** The catalog metric with this key; an unknown key is an error naming it. */
export function metricByKey(metrics: Metric[], key: string): Metric {
  const found = metrics.find((m) => m.key === key);
  if (!found) {
    throw new Error(
      `metric "${key}" is not in the experiments file (known: ${metrics.map((m) => m.key).join(', ')})`,
    );
  }
  return found;
}
