import type { ResultRecord } from '../shared/result-record.js';
import type { Experiment } from './experiments.js';

/** One arm's users, as the per-user metrics of the tutorial (one entry per user, same order everywhere). */
export interface ArmUsers {
  variation: string;
  users: number;
  requests: number;
  /** Users with at least one positive (resp. negative) feedback: the conversion metrics. */
  positiveUsers: number;
  negativeUsers: number;
  /** Per-user sum of tracked agent duration (`$ld:ai:duration:total`), ms. */
  durationMs: Float64Array;
  /** Per-user sum of total tokens. */
  tokens: Float64Array;
  /** Per-user sum of request cost, USD, for users whose every request was priced. */
  costUsd: Float64Array;
  /** Users left out of the cost metric because a request of theirs was unpriced. */
  unpricedUsers: number;
}

export interface ExperimentUsers {
  control: ArmUsers;
  treatment: ArmUsers;
  /** Completed records of the audience served a variation of the flag other than control or treatment. */
  otherVariation: number;
  /** Completed records outside the audience segment (or without a segment when one is required). */
  outsideAudience: number;
  /** Users seen in both arms (assignment changed mid-run): left out, since neither arm owns them. */
  mixedUsers: number;
  /**
   * The harness's own time per request of either arm, ms: queue wait (enqueue to first attempt) and end-to-end
   * latency minus the agents' tracked duration (HTTP, serialisation, this machine's scheduling).
   */
  harness: { queueWaitMs: number[]; overheadMs: number[] };
}

interface Accumulator {
  arm: 'control' | 'treatment' | 'mixed';
  requests: number;
  positive: boolean;
  negative: boolean;
  durationMs: number;
  tokens: number;
  costUsd: number;
  unpriced: boolean;
}

/**
 * Groups an experiment's completed result records by user, as LaunchDarkly's per-user metrics do: a user
 * converts on positive (negative) feedback when at least one of their requests got that verdict; duration,
 * tokens and cost are summed per user. Failed jobs are not exposures with a verdict and are counted
 * elsewhere (run counts); judge errors count as "no feedback", since no feedback event was sent for them.
 */
export function aggregateUsers(records: Iterable<ResultRecord>, experiment: Experiment): ExperimentUsers {
  const byUser = new Map<string, Accumulator>();
  let otherVariation = 0;
  let outsideAudience = 0;
  const harness = { queueWaitMs: [] as number[], overheadMs: [] as number[] };
  for (const record of records) {
    if (record.status !== 'completed') {
      continue;
    }
    const variation = record.variations[experiment.flag];
    if (variation === undefined) {
      continue;
    }
    if (experiment.audience && record.segment !== experiment.audience.segment) {
      outsideAudience++;
      continue;
    }
    const arm =
      variation === experiment.control ? 'control' : variation === experiment.treatment ? 'treatment' : null;
    if (!arm) {
      otherVariation++;
      continue;
    }
    let user = byUser.get(record.userKey);
    if (!user) {
      user = {
        arm,
        requests: 0,
        positive: false,
        negative: false,
        durationMs: 0,
        tokens: 0,
        costUsd: 0,
        unpriced: false,
      };
      byUser.set(record.userKey, user);
    } else if (user.arm !== arm) {
      user.arm = 'mixed';
    }
    user.requests++;
    if (record.queueWaitMs !== undefined) {
      harness.queueWaitMs.push(record.queueWaitMs);
    }
    if (record.latencyMs !== undefined && record.durationMs !== undefined) {
      harness.overheadMs.push(Math.max(0, record.latencyMs - record.durationMs));
    }
    user.positive ||= record.feedback === 'positive';
    user.negative ||= record.feedback === 'negative';
    user.durationMs += record.durationMs ?? 0;
    user.tokens += record.tokens.total;
    if (record.requestCostUsd === null) {
      user.unpriced = true;
    } else {
      user.costUsd += record.requestCostUsd;
    }
  }

  const users = { control: [] as Accumulator[], treatment: [] as Accumulator[] };
  let mixedUsers = 0;
  for (const user of byUser.values()) {
    if (user.arm === 'mixed') {
      mixedUsers++;
    } else {
      users[user.arm].push(user);
    }
  }
  return {
    control: toArm(experiment.control, users.control),
    treatment: toArm(experiment.treatment, users.treatment),
    otherVariation,
    outsideAudience,
    mixedUsers,
    harness,
  };
}

function toArm(variation: string, users: Accumulator[]): ArmUsers {
  const priced = users.filter((u) => !u.unpriced);
  return {
    variation,
    users: users.length,
    requests: users.reduce((sum, u) => sum + u.requests, 0),
    positiveUsers: users.filter((u) => u.positive).length,
    negativeUsers: users.filter((u) => u.negative).length,
    durationMs: Float64Array.from(users, (u) => u.durationMs),
    tokens: Float64Array.from(users, (u) => u.tokens),
    costUsd: Float64Array.from(priced, (u) => u.costUsd),
    unpricedUsers: users.length - priced.length,
  };
}
