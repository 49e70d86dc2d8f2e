import { isPiiOnlyAgent } from '../shared/cost-estimate.js';
import { ConfigError } from '../shared/errors.js';
import type { QueryJob } from '../shared/query-job.js';
import type { Experiment } from './experiments.js';
import { DEFAULT_PII_SHARE, usersPerArm } from './experiment-plan.js';

/** The planner's defaults that `--queries auto` sizes with (as `loadgen plan` without options). */
export const AUTO_BASELINE_RATE = 0.5;
export const AUTO_POWER = 0.8;

/** What a run's query set is made of, as `run` and `start` are told (or `plan` is asked about). */
export interface RunShape {
  /** Segment mix, segment → relative weight. */
  segments: Readonly<Record<string, number>>;
  /** Share of questions with personal data, 0-1. */
  piiShare: number;
  /** Requests per user; 1 for `run` and `start` (a fresh user per question). */
  requestsPerUser?: number;
}

/** An experiment and the users per arm it needs (the planner's usersPerArm). */
export interface ExperimentNeed {
  experiment: Experiment;
  usersPerArm: number;
}

/** Users an experiment gets from a run, against what it needs. */
export interface ExperimentSize {
  experimentId: string;
  name: string;
  /** Users who reach the experiment's flag in its audience: both arms together. */
  users: number;
  /** Users per arm after the split (of the smaller arm when it is uneven). */
  perArm: number;
  /** Users per arm needed. */
  neededPerArm: number;
  enough: boolean;
}

/** The need of each experiment with the planner's defaults: its lift criterion at its confidence, 0.5 baseline, 80% power. */
export function defaultNeeds(experiments: readonly Experiment[]): ExperimentNeed[] {
  return experiments.map((experiment) => {
    const lift = experiment.criteria.find((c) => c.kind === 'lift');
    if (lift?.kind !== 'lift') {
      throw new ConfigError(`experiment ${experiment.id} has no lift criterion: it cannot be sized`);
    }
    return {
      experiment,
      usersPerArm: usersPerArm(AUTO_BASELINE_RATE, lift.min, experiment.confidence, AUTO_POWER),
    };
  });
}

/** Share of the experiment's users in its smaller arm: min(split) / sum(split), ½ without a split. */
export function perArmShare(experiment: Experiment): number {
  const split = experiment.split;
  if (!split) {
    return 0.5;
  }
  const control = split[experiment.control] ?? 0;
  const treatment = split[experiment.treatment] ?? 0;
  return Math.min(control, treatment) / Object.values(split).reduce((a, b) => a + b, 0);
}

/**
 * Share of a run's users who reach the experiment: the audience segment's share of the mix, times, for the
 * security agent (which runs only on requests with personal data), the chance that one of a user's requests
 * has some: 1 − (1 − pii)^requestsPerUser.
 */
export function reachShare(experiment: Experiment, shape: RunShape): number {
  const total = Object.values(shape.segments).reduce((a, b) => a + b, 0);
  const segment = experiment.audience?.segment;
  const audience = segment === undefined ? 1 : (shape.segments[segment] ?? 0) / total;
  const exposure = isPiiOnlyAgent(experiment.flag)
    ? 1 - (1 - shape.piiShare) ** (shape.requestsPerUser ?? 1)
    : 1;
  return audience * exposure;
}

/** Users each experiment is expected to get from `queries` questions of this shape. */
export function expectedSizes(
  needs: readonly ExperimentNeed[],
  queries: number,
  shape: RunShape,
): ExperimentSize[] {
  const users = queries / (shape.requestsPerUser ?? 1);
  return needs.map((need) => size(need, Math.floor(users * reachShare(need.experiment, shape))));
}

/** Users each experiment gets from a query set: distinct users of its audience, with personal data for security. */
export function sizesFromJobs(needs: readonly ExperimentNeed[], jobs: readonly QueryJob[]): ExperimentSize[] {
  return needs.map((need) => {
    const exp = need.experiment;
    const users = new Set<string>();
    for (const job of jobs) {
      const inAudience = !exp.audience || job.user.segment === exp.audience.segment;
      if (inAudience && (!isPiiOnlyAgent(exp.flag) || job.piiInjected)) {
        users.add(job.user.key);
      }
    }
    return size(need, users.size);
  });
}

function size(need: ExperimentNeed, users: number): ExperimentSize {
  const perArm = Math.floor(users * perArmShare(need.experiment));
  return {
    experimentId: need.experiment.id,
    name: need.experiment.name,
    users,
    perArm,
    neededPerArm: need.usersPerArm,
    enough: perArm >= need.usersPerArm,
  };
}

/**
 * `--queries auto`: the fewest questions with which every experiment can reach its planned size, in
 * expectation: max over experiments of ⌈usersPerArm / (smaller arm share × reach share)⌉ × requests per user.
 * Throws a ConfigError naming the experiment that this shape can never size (its audience is not in the mix,
 * or it needs personal data and the share is 0).
 */
export function queriesFor(needs: readonly ExperimentNeed[], shape: RunShape): number {
  let queries = 0;
  for (const need of needs) {
    const perUser = perArmShare(need.experiment) * reachShare(need.experiment, shape);
    if (!(perUser > 0)) {
      throw new ConfigError(
        `--queries auto: experiment ${need.experiment.id} gets no users from this run ` +
          (isPiiOnlyAgent(need.experiment.flag) && shape.piiShare === 0
            ? '(it runs only on questions with personal data: --pii-percentage is 0)'
            : `(its audience segment ${need.experiment.audience?.segment} is not in --segments)`),
      );
    }
    // Less a hair, so that a quotient that is whole in exact arithmetic is not rounded up by float error.
    const users = Math.ceil(need.usersPerArm / perUser - 1e-9);
    queries = Math.max(queries, users * (shape.requestsPerUser ?? 1));
  }
  return queries;
}

/** The sizing as lines for a person: users each experiment gets, against users per arm needed. */
export function formatSizes(sizes: readonly ExperimentSize[], queries: number): string {
  const lines = [`users per experiment from ${queries} queries (≈ per arm vs needed per arm):`];
  for (const s of sizes) {
    lines.push(
      `  ${s.name} (${s.experimentId}): ${s.users} users, ≈${s.perArm} per arm; needs ${s.neededPerArm} per arm` +
        (s.enough ? ': enough' : `: too few (${Math.round((100 * s.perArm) / s.neededPerArm)}% of it)`),
    );
  }
  if (sizes.some((s) => !s.enough)) {
    lines.push('  (--queries auto sizes the run for every experiment)');
  }
  return lines.join('\n');
}

/** The shape of a `loadgen run` (and `loadgen start`) run with default options. */
export const DEFAULT_RUN_SHAPE: RunShape = { segments: { 'other-paid': 1 }, piiShare: DEFAULT_PII_SHARE };
