import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { loadManifest, type Manifest } from '../manifest.js';
import { dataPath } from '../paths.js';
import { ReadoutError } from './readout-error.js';

export const METRIC_KEYS = [
  'positive_feedback',
  'negative_feedback',
  'user_latency',
  'average_tokens',
  'ai_cost',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

const fraction = z.number().min(0).max(1);

export const CriterionSchema = z.discriminatedUnion('kind', [
  /** Relative lift of the positive-feedback rate, e.g. 0.10 = +10%. */
  z.object({ kind: z.literal('lift'), min: z.number() }),
  /** Probability that the treatment beats control on positive feedback; defaults to the experiment's. */
  z.object({ kind: z.literal('confidence'), min: fraction.optional() }),
  /** Relative change of the mean per-user cost, e.g. 0.05 = +5%. */
  z.object({ kind: z.literal('cost_increase'), max: z.number() }),
  /** The treatment's p95 across users of per-user summed duration, seconds. */
  z.object({ kind: z.literal('p95_latency'), maxSeconds: z.number().positive() }),
  /** Lift % / cost increase %. */
  z.object({ kind: z.literal('cost_value_ratio'), min: z.number() }),
]);
export type Criterion = z.infer<typeof CriterionSchema>;

export const ExperimentSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
    name: z.string().min(1),
    hypothesis: z.string().default(''),
    /** AI Config key whose variations are compared. */
    flag: z.string().min(1),
    control: z.string().min(1),
    treatment: z.string().min(1),
    /** Only users of this segment (the result record's `segment`) are in the experiment. */
    audience: z.object({ segment: z.string().min(1) }).optional(),
    /** Expected traffic weights by variation key, for the sample-ratio-mismatch check; 50/50 when absent. */
    split: z.record(z.string(), z.number().positive()).optional(),
    confidence: z.number().gt(0.5).lt(1),
    metrics: z.array(z.enum(METRIC_KEYS)).default([...METRIC_KEYS]),
    criteria: z.array(CriterionSchema).min(1),
    decision: z.object({ pass: z.string().min(1), fail: z.string().min(1) }),
  })
  .superRefine((exp, ctx) => {
    if (exp.control === exp.treatment) {
      ctx.addIssue({ code: 'custom', path: ['treatment'], message: 'must differ from control' });
    }
    if (exp.split) {
      for (const key of [exp.control, exp.treatment]) {
        if (!(key in exp.split)) {
          ctx.addIssue({ code: 'custom', path: ['split'], message: `needs a weight for "${key}"` });
        }
      }
    }
  });
export type Experiment = z.infer<typeof ExperimentSchema>;

export const ExperimentsFileSchema = z
  .object({ experiments: z.array(ExperimentSchema).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.experiments.forEach((exp, i) => {
      if (seen.has(exp.id)) {
        ctx.addIssue({ code: 'custom', path: ['experiments', i, 'id'], message: `duplicate id "${exp.id}"` });
      }
      seen.add(exp.id);
    });
  });

/**
 * What the AI Config manifest says against an experiment: its flag, variations, audience and split must exist
 * there (a typo would otherwise read out as "an arm has no users"), and the split must be the rollout the
 * manifest gives the audience for this experiment. One line per problem, naming the experiment and the key.
 */
export function checkAgainstManifest(exp: Experiment, manifest: Manifest): string[] {
  const where = `experiment "${exp.id}"`;
  const config = manifest.configs[exp.flag];
  if (!config) {
    return [
      `${where}: flag "${exp.flag}" is not an AI Config of the manifest (known: ${Object.keys(manifest.configs).join(', ')})`,
    ];
  }
  const problems: string[] = [];
  const variations = Object.keys(config.variations);
  const variation = (role: string, key: string) => {
    if (!(key in config.variations)) {
      problems.push(
        `${where}: ${role} "${key}" is not a variation of ${exp.flag} (known: ${variations.join(', ')})`,
      );
    }
  };
  variation('control', exp.control);
  variation('treatment', exp.treatment);
  Object.keys(exp.split ?? {}).forEach((key) => variation('split key', key));
  const segment = exp.audience?.segment;
  if (segment !== undefined && !(segment in manifest.segments)) {
    problems.push(
      `${where}: audience segment "${segment}" is not a segment of the manifest (known: ${Object.keys(
        manifest.segments,
      ).join(', ')})`,
    );
  }
  const rule = config.rules.find((r) => 'rollout' in r && r.experiment === exp.id && r.segment === segment);
  if (problems.length === 0 && rule && 'rollout' in rule) {
    // Compare shares of the two arms: 50/50 and 1/1 are the same split.
    const expected = exp.split ?? { [exp.control]: 1, [exp.treatment]: 1 };
    const share = (weights: Record<string, number>, key: string) =>
      (weights[key] ?? 0) / ((weights[exp.control] ?? 0) + (weights[exp.treatment] ?? 0) || 1);
    if (Math.abs(share(expected, exp.control) - share(rule.rollout, exp.control)) > 1e-9) {
      problems.push(
        `${where}: split ${JSON.stringify(expected)} differs from the manifest's rollout of ${exp.flag} for ${segment} ${JSON.stringify(
          rule.rollout,
        )}`,
      );
    }
  }
  return problems;
}

/**
 * Reads and validates an experiments file (default: the shipped `data/experiments.yaml`) and checks it
 * against the AI Config manifest (default: the shipped one). A bad file throws an error naming the file and
 * each bad field, e.g. `experiments.0.criteria.1.min`, or the experiment and the key the manifest lacks.
 */
export function loadExperiments(
  path = dataPath('experiments.yaml'),
  manifest: Manifest = loadManifest(),
): Experiment[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ReadoutError(`cannot read experiments file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const result = ExperimentsFileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ReadoutError(`invalid experiments file ${path}:\n${problems.join('\n')}`);
  }
  const mismatches = result.data.experiments.flatMap((exp) => checkAgainstManifest(exp, manifest));
  if (mismatches.length > 0) {
    throw new ReadoutError(
      `experiments file ${path} does not match the manifest:\n${mismatches.map((m) => `  ${m}`).join('\n')}`,
    );
  }
  return result.data.experiments;
}

/** The experiments whose id is in `ids` (all when empty); an unknown id is a ConfigError listing the known ones. */
export function selectExperiments(experiments: Experiment[], ids: string[]): Experiment[] {
  if (ids.length === 0) {
    return experiments;
  }
  return ids.map((id) => {
    const found = experiments.find((exp) => exp.id === id);
    if (!found) {
      throw new ConfigError(`unknown experiment "${id}" (known: ${experiments.map((e) => e.id).join(', ')})`);
    }
    return found;
  });
}
