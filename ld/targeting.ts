import { isDeepStrictEqual } from 'node:util';
import { rolloutWeights, segmentMatchClause } from '../shared/flag-file.js';
import type { Manifest, ManifestRule } from '../shared/manifest.js';
import type { Experiment } from '../readout/index.js';
import { experimentPlacements } from './desired-state.js';
import type { ProjectWriter } from './project-writer.js';
import { BETA } from './rest-client.js';

interface TargetingVariation {
  _id?: string;
  id?: string;
  key?: string;
  name?: string;
  value?: { _ldMeta?: { variationKey?: string } };
}

/**
 * An AI Config targeting rule as the API returns it. The spec (AIConfigTargetingEnvironmentRule) documents only
 * `clauses` and `trackEvents`; the rule's id and what it serves come in the flag-style fields `_id`,
 * `variation` and `rollout`, which the bootstrap needs (an experiment names its rule by id).
 */
interface TargetingRule {
  _id?: string;
  clauses?: { attribute?: string; op?: string; values?: unknown[] }[];
  variation?: number;
  rollout?: { variations?: { variation: number; weight: number }[] };
}

interface TargetingEnvironment {
  enabled?: boolean;
  _version?: number;
  fallthrough?: { variation?: number };
  rules?: TargetingRule[];
}

interface Targeting {
  _version?: number;
  variations?: TargetingVariation[];
  environments?: Record<string, TargetingEnvironment>;
}

/** A rule checked to carry what the bootstrap reads from it. */
interface CheckedRule {
  id: string;
  signature: RuleSignature;
}

interface Iteration {
  status?: string;
  flags?: Record<string, { targetingRule?: string }>;
}

interface ExperimentRep {
  key: string;
  name?: string;
  currentIteration?: Iteration;
  /** Only in answers to `expand=draftIteration`. */
  draftIteration?: Iteration;
}

export interface TargetingContext {
  /** Project key, already URL-encoded. */
  p: string;
  environment: string;
  manifest: Manifest;
  experiments: Experiment[];
  manual: string[];
}

/** What a rule serves, by variation key, so rules compare across index and id changes. */
interface RuleSignature {
  segments: string[];
  other: number;
  serve: string | Record<string, number> | null;
}

/**
 * Per AI Config: rules matching the manifest's segments in its order (fixed variations, and the
 * experiments' 50/50 rollouts bucketed by user key) and the fallthrough. One semantic patch when anything
 * differs; nothing when it already matches. Rules that differ are replaced as a whole, which gives them new
 * ids: when an experiment is attached to one of them this refuses (throws) rather than detach it.
 */
export async function reconcileTargeting(writer: ProjectWriter, ctx: TargetingContext): Promise<void> {
  const experiments = await writer.list<ExperimentRep>(`${experimentsPath(ctx)}?expand=draftIteration`, BETA);
  for (const [key, config] of Object.entries(ctx.manifest.configs)) {
    const path = targetingPath(ctx.p, key);
    const targeting = await writer.read<Targeting>(path);
    const env = targeting?.environments?.[ctx.environment];
    const keys = (targeting?.variations ?? []).map(variationKeyOf);
    const id = variationIds(writer, key, targeting);
    const instructions: Record<string, unknown>[] = [];
    const current = checkedRules(key, ctx.environment, env, keys);
    const desired = config.rules.map(desiredSignature);
    if (
      !isDeepStrictEqual(
        current.map((r) => r.signature),
        desired,
      )
    ) {
      refuseIfAttached(experiments, key, current, ctx.environment);
      instructions.push({
        kind: 'replaceRules',
        rules: config.rules.map((rule) => ruleInstruction(rule, id)),
      });
    }
    const fallthrough = env?.fallthrough?.variation;
    if (fallthrough === undefined || keys[fallthrough] !== config.fallthrough) {
      instructions.push({ kind: 'updateFallthroughVariationOrRollout', variationId: id(config.fallthrough) });
    }
    if (instructions.length > 0) {
      const body = { environmentKey: ctx.environment, comment: 'loadgen ld bootstrap', instructions };
      const what = instructions.map((i) => i.kind).join(', ');
      await writer.update('targeting', key, path, body, { patch: 'semantic' }, what);
    } else {
      writer.record('unchanged', 'targeting', key);
    }
    if (env?.enabled === false) {
      ctx.manual.push(`Targeting of ${key} is off in ${ctx.environment}: turn it on in the UI.`);
    }
  }
}

/**
 * Creates each manifest experiment that does not exist yet, on the AI Config rule that splits its
 * segment, with its metrics and 50/50 treatments. Experiments are created with a draft iteration: starting
 * one changes live traffic, so that is left to a person (printed at the end).
 */
export async function reconcileExperiments(writer: ProjectWriter, ctx: TargetingContext): Promise<void> {
  const base = experimentsPath(ctx);
  const existing = new Map((await writer.list<ExperimentRep>(base, BETA)).map((x) => [x.key, x]));
  for (const placement of experimentPlacements(ctx.manifest, ctx.experiments)) {
    const { experiment } = placement;
    const found = existing.get(placement.key);
    if (found) {
      writer.record('unchanged', 'experiment', placement.key);
      if (found.currentIteration?.status !== 'running') {
        ctx.manual.push(
          `Start the experiment "${experiment.name}" (${placement.key}) in ${ctx.environment}.`,
        );
      }
      continue;
    }
    const targeting = await writer.read<Targeting>(targetingPath(ctx.p, placement.configKey));
    const env = targeting?.environments?.[ctx.environment];
    const keys = (targeting?.variations ?? []).map(variationKeyOf);
    const rule = checkedRules(placement.configKey, ctx.environment, env, keys).find((r) =>
      r.signature.segments.includes(placement.segment),
    );
    const id = variationIds(writer, placement.configKey, targeting);
    const treatment = (variation: string, baseline: boolean) => ({
      name: experiment.arms?.[variation] ?? variation,
      baseline,
      allocationPercent: String(placement.rollout[variation]),
      parameters: [{ flagKey: placement.configKey, variationId: id(variation) }],
    });
    const [primary, ...secondary] = experiment.metrics;
    const body = {
      key: placement.key,
      name: experiment.name,
      description: `${experiment.name}: ${placement.configKey}, segment ${placement.segment} (loadgen catalog)`,
      iteration: {
        hypothesis: experiment.hypothesis,
        canReshuffleTraffic: true,
        randomizationUnit: 'user',
        primarySingleMetricKey: primary,
        metrics: [
          { key: primary, isGroup: false, primary: true },
          ...secondary.map((key) => ({ key, isGroup: false })),
        ],
        treatments: [treatment(experiment.control, true), treatment(experiment.treatment, false)],
        flags: {
          [placement.configKey]: {
            ruleId: rule?.id ?? missing(writer, `the ${placement.segment} rule of ${placement.configKey}`),
            // The environment's targeting version: an experiment made against an older one is refused.
            flagConfigVersion:
              env?._version ??
              missing(writer, `environments.${ctx.environment}._version of ${placement.configKey}`),
          },
        },
      },
    };
    await writer.create('experiment', placement.key, base, body, BETA, async () => {
      writer.record('unchanged', 'experiment', placement.key, 'exists');
    });
    ctx.manual.push(`Start the experiment "${experiment.name}" (${placement.key}) in ${ctx.environment}.`);
  }
}

/**
 * An experiment names its AI Config rule by id, and `replaceRules` gives every rule a new id: the experiment
 * would then point at a rule that no longer exists. Editing the rules in place would keep the ids but also
 * change a live experiment's traffic, which is for a person to decide, so the bootstrap stops and says so.
 */
function refuseIfAttached(
  experiments: ExperimentRep[],
  configKey: string,
  rules: CheckedRule[],
  environment: string,
): void {
  const ruleIds = new Set(rules.map((r) => r.id));
  const attached = experiments.filter((x) =>
    [x.currentIteration, x.draftIteration].some((it) => {
      const ruleId = it?.flags?.[configKey]?.targetingRule;
      return ruleId !== undefined && ruleIds.has(ruleId);
    }),
  );
  if (attached.length > 0) {
    const names = attached.map((x) => `"${x.name ?? x.key}" (${x.key})`).join(', ');
    throw new Error(
      `The targeting rules of ${configKey} in ${environment} differ from the manifest, but experiment ${names} ` +
        'uses one of them (in its current or draft iteration): replacing the rules would give them new ids and ' +
        'detach the experiment. Make the rules match the manifest in the LaunchDarkly UI (editing a rule keeps ' +
        'its id), or archive the experiment, then run the bootstrap again.',
    );
  }
}

/**
 * The environment's rules with the id and the served variation or rollout the bootstrap relies on. The spec
 * documents neither for AI Config rules (only `clauses` and `trackEvents`), so a rule without them stops the
 * bootstrap, naming the field, rather than being compared or attached to an experiment on a guess.
 */
function checkedRules(
  configKey: string,
  environment: string,
  env: TargetingEnvironment | undefined,
  keys: string[],
): CheckedRule[] {
  return (env?.rules ?? []).map((rule, i) => {
    const where = `LaunchDarkly's targeting of ${configKey} in ${environment}: environments.${environment}.rules[${i}]`;
    const hint =
      '(the published spec, AIConfigTargetingEnvironmentRule, documents only clauses and trackEvents; the bootstrap needs the flag-style fields)';
    if (typeof rule._id !== 'string' || rule._id === '') {
      throw new Error(`${where} has no _id, which an experiment needs as its ruleId ${hint}`);
    }
    if (typeof rule.variation !== 'number' && !Array.isArray(rule.rollout?.variations)) {
      throw new Error(
        `${where} has neither variation nor rollout.variations, so what it serves is unknown ${hint}`,
      );
    }
    return { id: rule._id, signature: existingSignature(rule, keys) };
  });
}

function experimentsPath(ctx: TargetingContext): string {
  return `/api/v2/projects/${ctx.p}/environments/${encodeURIComponent(ctx.environment)}/experiments`;
}

function targetingPath(p: string, configKey: string): string {
  return `/api/v2/projects/${p}/ai-configs/${encodeURIComponent(configKey)}/targeting`;
}

/**
 * Looks up variation ids by key in an AI Config's targeting. An id that is not there is a placeholder in a
 * dry run (the variation would be created first) and an error otherwise, so no placeholder reaches the API.
 */
function variationIds(
  writer: ProjectWriter,
  configKey: string,
  targeting: Targeting | undefined,
): (variation: string) => string {
  return (variation) => {
    const found = (targeting?.variations ?? []).find((v) => variationKeyOf(v) === variation);
    return found?._id ?? found?.id ?? missing(writer, `variation ${variation} of ${configKey}`);
  };
}

function missing(writer: ProjectWriter, what: string): string {
  if (writer.dryRun) {
    return `<id of ${what}>`;
  }
  throw new Error(
    `LaunchDarkly's targeting has no ${what}, which the manifest needs (it should exist by this step): ` +
      'check it in the UI and run the bootstrap again',
  );
}

function variationKeyOf(v: TargetingVariation): string {
  return v.value?._ldMeta?.variationKey || v.key || v.name || '';
}

function ruleInstruction(rule: ManifestRule, id: (variation: string) => string): Record<string, unknown> {
  if ('variation' in rule) {
    return {
      description: `segment ${rule.segment}`,
      clauses: [segmentMatchClause(rule.segment)],
      variationId: id(rule.variation),
    };
  }
  return {
    description: `experiment ${rule.experiment} (segment ${rule.segment})`,
    clauses: [segmentMatchClause(rule.segment)],
    rolloutWeights: Object.fromEntries(rolloutWeights(rule.rollout).map(([v, weight]) => [id(v), weight])),
    rolloutBucketBy: 'key',
    rolloutContextKind: 'user',
  };
}

function desiredSignature(rule: ManifestRule): RuleSignature {
  if ('variation' in rule) {
    return { segments: [rule.segment], other: 0, serve: rule.variation };
  }
  return {
    segments: [rule.segment],
    other: 0,
    serve: sortObject(Object.fromEntries(rolloutWeights(rule.rollout))),
  };
}

function existingSignature(rule: TargetingRule, keys: string[]): RuleSignature {
  const clauses = rule.clauses ?? [];
  const segments = clauses
    .filter((c) => c.op === 'segmentMatch')
    .flatMap((c) => (c.values ?? []).map(String));
  let serve: RuleSignature['serve'] = null;
  if (rule.variation !== undefined) {
    serve = keys[rule.variation] ?? null;
  } else if (rule.rollout?.variations) {
    serve = sortObject(
      Object.fromEntries(
        rule.rollout.variations
          .filter((v) => v.weight > 0)
          .map((v) => [keys[v.variation] ?? `#${v.variation}`, v.weight]),
      ),
    );
  }
  return {
    segments: segments.sort(),
    other: clauses.length - clauses.filter((c) => c.op === 'segmentMatch').length,
    serve,
  };
}

function sortObject(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
