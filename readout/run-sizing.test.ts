import { describe, expect, it } from 'vitest';
import { createRun } from '../producer/create-run.js';
import { ConfigError } from '../shared/errors.js';
import type { QueryJob } from '../shared/query-job.js';
import { loadExperiments, type Experiment } from './experiments.js';
import { usersPerArm } from './experiment-plan.js';
import {
  DEFAULT_RUN_SHAPE,
  defaultNeeds,
  expectedSizes,
  perArmShare,
  queriesFor,
  reachShare,
  sizesFromJobs,
} from './run-sizing.js';

const [security, premium] = loadExperiments() as [Experiment, Experiment];
const needs = defaultNeeds([security, premium]);

describe('run sizing', () => {
  it("needs each experiment's lift at its confidence with a 0.5 baseline and 80% power", () => {
    expect(needs.map((n) => n.usersPerArm)).toEqual([
      usersPerArm(0.5, 0.1, 0.9, 0.8),
      usersPerArm(0.5, 0.15, 0.9, 0.8),
    ]);
  });

  it('reaches Security Level only through questions with personal data, Premium Model through its segment', () => {
    const shape = { segments: { 'other-paid': 1, 'eu-paid': 3 }, piiShare: 0.2 };
    expect(reachShare(security, shape)).toBeCloseTo(0.25 * 0.2, 12);
    expect(reachShare(premium, shape)).toBeCloseTo(0.25, 12);
    // Three requests per user: a user reaches the security agent when any of them has personal data.
    expect(reachShare(security, { ...shape, requestsPerUser: 3 })).toBeCloseTo(0.25 * (1 - 0.8 ** 3), 12);
    expect(reachShare(premium, { segments: { 'eu-paid': 1 }, piiShare: 0.2 })).toBe(0);
  });

  it('splits users by the rollout: the smaller arm of an uneven split is what limits', () => {
    expect(perArmShare(premium)).toBe(0.5);
    expect(perArmShare({ ...premium, split: { 'other-paid': 80, 'claude-opus-treatment': 20 } })).toBe(0.2);
    const [size] = expectedSizes(
      [
        {
          experiment: { ...premium, split: { 'other-paid': 80, 'claude-opus-treatment': 20 } },
          usersPerArm: 30,
        },
      ],
      200,
      DEFAULT_RUN_SHAPE,
    );
    expect(size).toMatchObject({ users: 200, perArm: 40, neededPerArm: 30, enough: true });
  });

  it('gives the default run (200 queries, 15% PII) ~15 Security Level users per arm and 100 for Premium Model', () => {
    const sizes = expectedSizes(needs, 200, DEFAULT_RUN_SHAPE);
    expect(sizes.map((s) => [s.experimentId, s.users, s.perArm, s.enough])).toEqual([
      ['security-level', 30, 15, false],
      ['premium-model-value', 200, 100, false],
    ]);
  });

  it('sizes --queries auto as max ⌈usersPerArm / (arm share × reach share)⌉, the fewest that are enough', () => {
    const [sec, prem] = needs.map((n) => n.usersPerArm) as [number, number];
    const shape = { segments: { 'other-paid': 1, 'eu-free': 1 }, piiShare: 0.15 };
    const queries = queriesFor(needs, shape);
    expect(queries).toBe(Math.max(Math.ceil(sec / (0.5 * 0.5 * 0.15)), Math.ceil(prem / (0.5 * 0.5))));
    expect(expectedSizes(needs, queries, shape).every((s) => s.enough)).toBe(true);
    expect(expectedSizes(needs, queries - 1, shape).every((s) => s.enough)).toBe(false);
    // Without the security experiment, Premium Model sets the size.
    expect(queriesFor([needs[1]!], shape)).toBe(Math.ceil(prem / 0.25));
  });

  it('refuses to size an experiment the run can never reach, naming it', () => {
    expect(() => queriesFor(needs, { segments: { 'other-paid': 1 }, piiShare: 0 })).toThrow(
      /security-level .*personal data: --pii-percentage is 0/,
    );
    expect(() => queriesFor(needs, { segments: { 'eu-paid': 1 }, piiShare: 0.15 })).toThrow(ConfigError);
  });

  it('counts distinct users of a query set: in the audience, and with personal data for Security Level', () => {
    const job = (key: string, segment: string, piiInjected: boolean): QueryJob => ({
      runId: 'r',
      seq: 0,
      query: 'q',
      piiInjected,
      user: { key, segment },
    });
    const jobs = [
      job('a', 'other-paid', true),
      job('a', 'other-paid', false),
      job('b', 'other-paid', false),
      job('c', 'eu-paid', true),
      job('d', 'other-paid', true),
    ];
    expect(sizesFromJobs(needs, jobs).map((s) => s.users)).toEqual([2, 3]);
  });

  it('makes `run --queries auto` big enough for every experiment, counted on the generated set', async () => {
    const result = await createRun({
      queries: 'auto',
      piiPercentage: 50,
      seed: 4,
      dryRun: true,
      out: '/dev/null',
    });
    const sec = needs[0]!.usersPerArm;
    expect(result.plan.queries).toBe(Math.max(Math.ceil(sec / 0.25), Math.ceil(needs[1]!.usersPerArm / 0.5)));
    expect(result.plan.sizes.every((s) => s.enough)).toBe(true);
    await expect(createRun({ queries: 'auto', users: 10, dryRun: true })).rejects.toThrow(
      /--queries auto .* drop --users/,
    );
  });
});
