import { z } from 'zod';
import { CATALOG_PATH, MetricsSchema, readCatalogFile } from '../shared/catalog.js';
import { ConfigError } from '../shared/errors.js';
import { loadManifest, type Manifest } from '../shared/manifest.js';
import { ReadoutError } from './readout-error.js';

/** The metrics the readout computes from result records (each must be defined in the catalog to be used). */
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
    /**
     * Expected traffic weights by variation key, for the sample-ratio-mismatch check. Not written in the
     * catalog: `loadExperiments` takes it from the manifest rollout that splits the experiment's traffic.
     */
    split: z.record(z.string(), z.number().positive()).optional(),
    /** The arms' names in LaunchDarkly, by variation key; the key itself when absent. */
    arms: z.record(z.string(), z.string().min(1)).optional(),
    confidence: z.number().gt(0.5).lt(1),
    /** Metric keys of the catalog; the first is the experiment's primary metric in LaunchDarkly. */
    metrics: z.array(z.enum(METRIC_KEYS)).default([...METRIC_KEYS]),
    criteria: z.array(CriterionSchema).min(1),
    decision: z.object({ pass: z.string().min(1), fail: z.string().min(1) }),
  })
  .superRefine((exp, ctx) => {
    if (exp.control === exp.treatment) {
      ctx.addIssue({ code: 'custom', path: ['treatment'], message: 'must differ from control' });
    }
    for (const key of Object.keys(exp.arms ?? {})) {
      if (key !== exp.control && key !== exp.treatment) {
        ctx.addIssue({
          code: 'custom',
          path: ['arms', key],
          message: 'is neither the control nor the treatment',
        });
      }
    }
  });
export type Experiment = z.infer<typeof ExperimentSchema>;

export const ExperimentsFileSchema = z
  .object({ metrics: MetricsSchema, experiments: z.array(ExperimentSchema).min(1) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    const metrics = new Set(file.metrics.map((m) => m.key));
    file.experiments.forEach((exp, i) => {
      if (seen.has(exp.id)) {
        ctx.addIssue({ code: 'custom', path: ['experiments', i, 'id'], message: `duplicate id "${exp.id}"` });
      }
      seen.add(exp.id);
      if (exp.split !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['experiments', i, 'split'],
          message: "the split is the rollout of the experiment's rule in the manifest: remove it here",
        });
      }
      exp.metrics.forEach((key, j) => {
        if (!metrics.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['experiments', i, 'metrics', j],
            message: `"${key}" is not a metric of this file (known: ${[...metrics].join(', ')})`,
          });
        }
      });
    });
  });

/**
 * What the AI Config manifest says against an experiment: its flag, variations and audience must exist there
 * (a typo would otherwise read out as "an arm has no users"), and exactly one manifest rule must split its
 * traffic: on its flag, for its audience segment, with a rollout holding its control and treatment. One line
 * per problem, naming the experiment and the key.
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
  const segment = exp.audience?.segment;
  if (segment !== undefined && !(segment in manifest.segments)) {
    problems.push(
      `${where}: audience segment "${segment}" is not a segment of the manifest (known: ${Object.keys(
        manifest.segments,
      ).join(', ')})`,
    );
  }
  const rules = experimentRules(manifest).filter((r) => r.experiment === exp.id);
  if (rules.length !== 1) {
    problems.push(`${where}: the manifest has ${rules.length} rules with "experiment: ${exp.id}", not one`);
  } else if (problems.length === 0) {
    const [rule] = rules;
    if (rule!.configKey !== exp.flag) {
      problems.push(`${where}: the manifest splits it on ${rule!.configKey}, not on its flag ${exp.flag}`);
    }
    if (segment !== undefined && rule!.segment !== segment) {
      problems.push(
        `${where}: the manifest splits it for segment ${rule!.segment}, not its audience ${segment}`,
      );
    }
    for (const key of [exp.control, exp.treatment].filter((k) => !(rule!.rollout[k]! > 0))) {
      problems.push(`${where}: the manifest's rollout for it gives "${key}" no traffic`);
    }
  }
  return problems;
}

/** Every manifest rule that splits an experiment's traffic, with its AI Config. */
function experimentRules(manifest: Manifest) {
  return Object.entries(manifest.configs).flatMap(([configKey, config]) =>
    config.rules.flatMap((rule) => ('experiment' in rule ? [{ configKey, ...rule }] : [])),
  );
}

/**
 * Reads and validates the experiments and metrics catalog (default: the shipped `data/experiments.yaml`) and
 * checks it against the AI Config manifest (default: the shipped one) both ways; each experiment's `split` is
 * the manifest's rollout for it. A bad file throws an error naming the file and each bad field, e.g.
 * `experiments.0.criteria.1.min`, or the experiment and the key the manifest lacks.
 */
export function loadExperiments(path = CATALOG_PATH, manifest: Manifest = loadManifest()): Experiment[] {
  let raw: unknown;
  try {
    raw = readCatalogFile(path);
  } catch (err) {
    throw new ReadoutError((err as Error).message, { cause: err });
  }
  const result = ExperimentsFileSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ReadoutError(`invalid experiments file ${path}:\n${problems.join('\n')}`);
  }
  const experiments = result.data.experiments;
  const known = new Set(experiments.map((e) => e.id));
  const mismatches = [
    ...experiments.flatMap((exp) => checkAgainstManifest(exp, manifest)),
    ...experimentRules(manifest)
      .filter((r) => !known.has(r.experiment))
      .map(
        (r) =>
          `configs.${r.configKey}: a rule names experiment "${r.experiment}", which this file does not define`,
      ),
  ];
  if (mismatches.length > 0) {
    throw new ReadoutError(
      `experiments file ${path} does not match the manifest:\n${mismatches.map((m) => `  ${m}`).join('\n')}`,
    );
  }
  const rollouts = new Map(experimentRules(manifest).map((r) => [r.experiment, r.rollout]));
  return experiments.map((exp) => ({ ...exp, split: rollouts.get(exp.id)! }));
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
