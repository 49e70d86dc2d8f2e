import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../shared/result-record.js';
import type { RunState } from '../shared/runs.js';
import { buildReadout } from './build-readout.js';
import { loadExperiments } from './experiments.js';
import { renderHtml } from './render-html.js';
import { renderText } from './render-text.js';
import { syntheticRecords } from './synthetic-records.js';

const experiments = loadExperiments();
const security = experiments.filter((e) => e.id === 'security-level');
const premium = experiments.filter((e) => e.id === 'premium-model-value');

const run: RunState = {
  meta: {
    runId: 'r1',
    createdAt: 1,
    seed: 42,
    mode: 'SIMULATED',
    options: {},
    budgetUsd: 25,
    counts: { queries: 1300, pii: 0, bySegment: {}, byComplexity: {} },
    harnessCostUsd: 0.5,
  },
  status: 'done',
  spendUsd: 12.34,
};

/** Security data shaped like the tutorial's qualifying example: a real lift, ~+1% cost, p95 well under 2 s. */
const securityRecords = [
  ...syntheticRecords({
    seed: 1,
    users: 1300,
    runId: 'r1',
    failureRate: 0.02,
    judgeErrorRate: 0.01,
    flags: {
      'security-agent': {
        baseline: { positive: 0.5, negative: 0.2, durationMs: 500, tokens: 400, costUsd: 0.01 },
        enhanced: { positive: 0.64, negative: 0.12, durationMs: 560, tokens: 420, costUsd: 0.0103 },
      },
      'support-agent': { 'other-paid': { positive: 0, durationMs: 400, tokens: 1500, costUsd: 0.02 } },
    },
  }),
];

function record(overrides: Partial<ResultRecord>): ResultRecord {
  return {
    jobId: 'x',
    runId: 'r',
    seq: 0,
    status: 'completed',
    userKey: 'u',
    segment: 'other-paid',
    variations: { 'security-agent': 'baseline' },
    served: [],
    route: [],
    durationMs: 1000,
    tokens: { input: 60, output: 40, total: 100 },
    requestCostUsd: 0.01,
    unpricedModels: [],
    harnessCostUsd: 0.001,
    feedback: 'none',
    attempts: 1,
    finishedAt: 0,
    ...overrides,
  };
}

describe('buildReadout', () => {
  it('qualifies the security treatment on data like the tutorial example and deploys it', () => {
    const readout = buildReadout({ records: securityRecords, run, experiments: security, seed: 1 });
    const [exp] = readout.experiments;
    expect(exp?.state).toBe('qualifies');
    expect(exp?.decision).toBe('Deploy enhanced security to all users');
    expect(exp?.criteria.map((c) => c.kind)).toEqual(['lift', 'confidence', 'cost_increase', 'p95_latency']);
    expect(exp?.positiveFeedback.lift?.lower).toBeLessThan(0.28);
    expect(exp?.positiveFeedback.lift?.upper).toBeGreaterThan(0.28);
    expect(exp?.cost.relative?.estimate).toBeGreaterThan(0);
    expect(exp?.cost.relative?.estimate).toBeLessThan(0.05);
    expect(exp?.latencyP95.treatment?.value).toBeLessThan(2000);
    expect(exp?.srm.flagged).toBe(false);
  });

  it('keeps GPT-4o on the tutorial’s premium example: $0.15 vs $0.45 per user and +20% satisfaction', () => {
    const records = [
      ...syntheticRecords({
        seed: 2,
        users: 4000,
        flags: {
          'support-agent': {
            'other-paid': { positive: 0.5, costUsd: 0.15 },
            'claude-opus-treatment': { positive: 0.6, costUsd: 0.45 },
          },
        },
      }),
    ];
    const [exp] = buildReadout({ records, experiments: premium, seed: 1 }).experiments;
    expect(exp?.cost.control.mean).toBeCloseTo(0.15, 2);
    expect(exp?.cost.treatment.mean).toBeCloseTo(0.45, 2);
    expect(exp?.costValueRatio).toBeGreaterThan(0.07);
    expect(exp?.costValueRatio).toBeLessThan(0.13);
    expect(exp?.criteria.find((c) => c.kind === 'cost_value_ratio')?.pass).toBe(false);
    expect(exp?.criteria.find((c) => c.kind === 'confidence')?.pass).toBe(true);
    expect(exp?.state).toBe('fails');
    // The sample's lift is under +15% too, so the sentence names both rather than "for cost efficiency".
    expect(exp?.decision).toBe(
      'Keep other-paid: claude-opus-treatment does not meet lift in positive feedback rate per user ≥ +15%, ' +
        'cost-value ratio (lift % ÷ cost increase %) ≥ 0.6',
    );
  });

  it('aggregates per user as the tutorial defines the metrics', () => {
    const records = [
      // u1: two requests, one positive → converts once; durations, tokens and cost summed.
      record({ userKey: 'u1', feedback: 'positive', durationMs: 700 }),
      record({ userKey: 'u1', feedback: 'negative', durationMs: 900 }),
      // u2: a judge error is "no feedback"; a failed job is not part of the metrics.
      record({ userKey: 'u2', feedback: 'judge_error' }),
      record({ userKey: 'u2', status: 'failed', feedback: null, variations: {} }),
      // u3: an unpriced request leaves the user out of cost, not out of the rates.
      record({
        userKey: 'u3',
        variations: { 'security-agent': 'enhanced' },
        feedback: 'positive',
        requestCostUsd: null,
      }),
      record({ userKey: 'u4', variations: { 'security-agent': 'enhanced' }, requestCostUsd: 0.03 }),
      // Outside the audience, another variation, and a user seen in both arms.
      record({ userKey: 'u5', segment: 'eu-free', feedback: 'positive' }),
      record({ userKey: 'u6', variations: { 'security-agent': 'strict' } }),
      record({ userKey: 'u7' }),
      record({ userKey: 'u7', variations: { 'security-agent': 'enhanced' } }),
    ];
    const readout = buildReadout({ records, experiments: security, seed: 1 });
    const exp = readout.experiments[0]!;
    expect(exp.users).toMatchObject({
      control: 2,
      treatment: 2,
      requests: { control: 3, treatment: 2 },
      unpriced: { control: 0, treatment: 1 },
      otherVariationRecords: 1,
      outsideAudienceRecords: 1,
      mixedUsers: 1,
    });
    expect(exp.positiveFeedback.control).toMatchObject({ users: 2, conversions: 1, rate: 0.5 });
    expect(exp.negativeFeedback.control).toMatchObject({ users: 2, conversions: 1 });
    expect(exp.positiveFeedback.treatment).toMatchObject({ users: 2, conversions: 1 });
    expect(exp.tokens.control.mean).toBe(150); // u1 200, u2 100
    expect(exp.cost.control.mean).toBeCloseTo(0.015, 12); // u1 0.02, u2 0.01
    expect(exp.cost.treatment).toMatchObject({ n: 1, mean: 0.03 });
    expect(exp.latencyP95.control?.value).toBe(1600); // u1 700 + 900 is the larger of the two users
    expect(readout.run.counts).toMatchObject({
      records: 10,
      completed: 9,
      failed: 1,
      judgeErrors: 1,
      users: 7,
    });
    expect(readout.run.counts.unpricedRequests).toBe(1);
    expect(readout.warnings).toContain('security-level: 1 user(s) saw both variations and are left out');
  });

  it('gives the same numbers for the same seed, and a JSON-serialisable result', () => {
    const a = buildReadout({ records: securityRecords, run, experiments, seed: 9 });
    const b = buildReadout({ records: securityRecords, run, experiments, seed: 9 });
    expect(b).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    // Another seed changes the bootstrap (p95 intervals) and nothing computed without draws.
    const c = buildReadout({ records: securityRecords, run, experiments, seed: 10 });
    const p95 = (r: typeof a) => r.experiments.map((e) => e.latencyP95);
    expect(p95(c)).not.toEqual(p95(a));
    expect(c.experiments.map((e) => e.latencyP95.treatment?.value)).toEqual(
      a.experiments.map((e) => e.latencyP95.treatment?.value),
    );
    expect(c.experiments.map((e) => e.positiveFeedback)).toEqual(
      a.experiments.map((e) => e.positiveFeedback),
    );
    expect(c.seed).toBe(10);
  });

  it('flags a sample ratio mismatch and gives no decision', () => {
    const records = [
      ...syntheticRecords({
        seed: 3,
        users: 1000,
        flags: { 'security-agent': { baseline: { positive: 0.5 }, enhanced: { positive: 0.7 } } },
      }),
    ].filter((r) => r.variations['security-agent'] === 'baseline' || r.seq % 3 !== 0);
    const readout = buildReadout({ records, experiments: security, seed: 1 });
    const exp = readout.experiments[0]!;
    expect(exp.srm.flagged).toBe(true);
    expect(exp.state).toBe('invalid');
    expect(exp.decision).toMatch(/^No decision: sample ratio mismatch \(p < 0\.001\)$/);
    expect(readout.warnings.some((w) => w.startsWith('security-level: sample ratio mismatch'))).toBe(true);
  });

  it('states mode, seeds, counts, failures, judge errors, budget and spend, then each criterion and the decision', () => {
    const text = renderText(buildReadout({ records: securityRecords, run, experiments: security, seed: 1 }));
    expect(text).toContain('Run r1 · mode SIMULATED · run seed 42 · readout seed 1 · status done');
    expect(text).toMatch(
      /Records 1,300 of 1,300 queries · completed 1,2\d\d · failed \d+ · judge errors \d+ · users 1,300/,
    );
    expect(text).toMatch(/Spend \$12\.34 \(requests \$\d+\.\d+, harness \$\d\.\d+\) · budget \$25\.00/);
    expect(text).toMatch(/PASS\s+lift in positive feedback rate per user ≥ \+10%\s+\+\d+\.\d%/);
    expect(text).toMatch(/PASS\s+probability to beat control ≥ 90%\s+(>99\.9|\d+\.\d)%/);
    expect(text).toMatch(/PASS\s+cost increase per user ≤ \+5%\s+\+\d\.\d%/);
    expect(text).toMatch(/PASS\s+p95 latency per user ≤ 2\.0 s\s+1\.\d\d s/);
    expect(text).toContain('decision: Deploy enhanced security to all users');
    const noRun = renderText(buildReadout({ records: securityRecords, experiments: security, seed: 1 }));
    expect(noRun).toContain('mode UNKNOWN');
    expect(noRun).toContain('budget none');
  });

  it('counts jobs that never ran (dropped, removed) apart from failures, and not as users', () => {
    const base = securityRecords.slice(0, 10);
    const notRun = (seq: number, error: string): ResultRecord => ({
      ...base[0]!,
      jobId: `r1.${1000 + seq}`,
      seq: 1000 + seq,
      status: 'failed',
      userKey: seq === 0 ? '' : `late-user-${seq}`,
      variations: {},
      served: [],
      feedback: null,
      requestCostUsd: 0,
      harnessCostUsd: 0,
      error,
    });
    const failedBefore = base.filter((r) => r.status === 'failed').length;
    const records = [
      ...base,
      notRun(0, 'removed: run stopped'),
      notRun(1, 'removed'),
      notRun(2, 'dropped'),
      notRun(3, 'dropped'),
      notRun(4, 'dropped'),
    ];
    const readout = buildReadout({ records, run, experiments: security, seed: 1 });
    expect(readout.run.counts).toMatchObject({
      records: 15,
      failed: failedBefore,
      dropped: 3,
      removed: 2,
      users: new Set(base.map((r) => r.userKey)).size,
    });
    const text = renderText(readout);
    expect(text).toContain(
      'Not run: dropped 3 (could not start within their grace period) · removed 2 (taken out of the queue)',
    );
    expect(renderHtml(readout)).toMatch(/dropped \(late arrivals, not run\)<\/th><td>3</);
    // A run where every job ran says nothing about it.
    expect(renderText(buildReadout({ records: base, run, experiments: security, seed: 1 }))).not.toContain(
      'Not run',
    );
  });

  it('shows only the experiment’s metrics, in the HTML as in the text', () => {
    const some = [{ ...security[0]!, metrics: ['positive_feedback' as const, 'ai_cost' as const] }];
    const readout = buildReadout({ records: securityRecords, run, experiments: some, seed: 1 });
    const text = renderText(readout);
    const html = renderHtml(readout);
    for (const page of [text, html]) {
      expect(page).toContain('positive feedback rate');
      expect(page).toContain('cost (mean)');
      expect(page).not.toContain('negative feedback rate');
      expect(page).not.toContain('p95 latency<');
      expect(page).not.toContain('tokens (mean)');
    }
    expect(text).not.toMatch(/^ {2}p95 latency /m);
    // Charts: feedback (positive only) and cost; no latency histogram.
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('positive · baseline');
    expect(html).not.toContain('negative · baseline');
    expect(html).not.toContain('Latency per user');
    // The criteria still show every figure they judge, metrics or not.
    expect(html).toContain('p95 latency per user ≤ 2.0 s');
  });

  it('renders one self-contained HTML file with the three charts per experiment and escaped text', () => {
    const readout = buildReadout({ records: securityRecords, run, experiments, seed: 1 });
    readout.experiments[0]!.hypothesis = '<script>alert(1)</script>';
    const html = renderHtml(readout);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href=|@import/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html.match(/<svg /g)).toHaveLength(3 * experiments.length);
    expect(html).toContain('Feedback rates per user, 90% intervals');
    expect(html).toContain('Mean cost per user, 90% intervals');
    expect(html).toContain('Latency per user (summed agent duration), share of users');
    expect(html).toContain('Deploy enhanced security to all users');
    expect(html).toContain('SIMULATED');
  });

  it('shows an empty arm as "no users": no interval, no change, no −100% p95, and an inconclusive state', () => {
    const records = [
      record({ userKey: 'u1', feedback: 'positive' }),
      record({ userKey: 'u2' }),
      record({ userKey: 'u3', feedback: 'positive' }),
    ];
    const readout = buildReadout({ records, experiments: security, seed: 1 });
    const exp = readout.experiments[0]!;
    expect(exp.state).toBe('inconclusive');
    expect(exp.decision).toBe('Not enough data yet: no users in enhanced');
    expect(exp.positiveFeedback.treatment).toMatchObject({ rate: null, lower: null, upper: null });
    expect(exp.latencyP95.treatment).toBeNull();
    const text = renderText(readout);
    expect(text).toMatch(/positive feedback rate\s+66\.7% \[[\d.]+%, [\d.]+%\]\s+no users\s+no users/);
    expect(text).toMatch(/p95 latency\s+1\.00 s \[1\.00 s, 1\.00 s\]\s+no users\s+no users/);
    expect(text).toMatch(/cost \(mean\)\s+\$0\.0100\s+no users\s+no users/);
    expect(text).not.toMatch(/−100|5\.0%, 95\.0%/);
    expect(text).toContain('state: INCONCLUSIVE');
    const html = renderHtml(readout);
    expect(html).toContain('<td>no users</td>');
    expect(html).not.toContain('−100');
  });

  it('shows 0 conversions inside its interval, a change from a zero base as "not defined", p < 0.001', () => {
    const records = [
      // 6 control users without a thumbs-up, 2 treatment users with one: the case of the issue.
      ...Array.from({ length: 6 }, (_, i) => record({ userKey: `c${i}` })),
      ...Array.from({ length: 2 }, (_, i) =>
        record({ userKey: `t${i}`, feedback: 'positive', variations: { 'security-agent': 'enhanced' } }),
      ),
    ];
    const readout = buildReadout({ records, experiments: security, seed: 1 });
    const exp = readout.experiments[0]!;
    expect(exp.positiveFeedback.control).toMatchObject({ rate: 0, lower: 0 });
    expect(exp.positiveFeedback.lift).toBeNull();
    expect(exp.state).toBe('inconclusive');
    // Not "Keep baseline security for cost efficiency" on 6 and 2 users.
    expect(exp.decision).toMatch(
      /^Not enough data yet: baseline has 6 of [\d,]+ users, enhanced 2 of [\d,]+; about/,
    );
    const text = renderText(readout);
    expect(text).toMatch(/positive feedback rate\s+0\.0% \[0\.0%, 28\.0%\]/);
    expect(text).toMatch(/positive feedback rate.*not defined \(control rate 0\) · P\(beat\)/);
    expect(text).toMatch(/FAIL\s+lift in positive feedback rate per user ≥ \+10%\s+not defined/);
    // A lopsided split: the SRM p-value reads "p < 0.001", never "p = 0.0e+0".
    const lopsided = buildReadout({
      records: [
        ...Array.from({ length: 60 }, (_, i) => record({ userKey: `c${i}` })),
        ...Array.from({ length: 5 }, (_, i) =>
          record({ userKey: `t${i}`, variations: { 'security-agent': 'enhanced' } }),
        ),
      ],
      experiments: security,
      seed: 1,
    });
    expect(renderText(lopsided)).toContain('SAMPLE RATIO MISMATCH (p < 0.001)');
    expect(renderText(lopsided)).not.toMatch(/e[+-]\d/);
  });

  it('gives no cost-value ratio (null, "not defined") when cost does not change, and says the rule', () => {
    const records = [
      ...syntheticRecords({
        seed: 5,
        users: 3000,
        flags: {
          'support-agent': {
            'other-paid': { positive: 0.5, costUsd: 0.02 },
            'claude-opus-treatment': { positive: 0.65, costUsd: 0.02 },
          },
        },
      }),
    ].map((r) => ({ ...r, requestCostUsd: 0.02 }));
    const readout = buildReadout({ records, experiments: premium, seed: 1 });
    const exp = readout.experiments[0]!;
    expect(exp.costValueRatio).toBeNull();
    expect(JSON.parse(JSON.stringify(readout)).experiments[0].costValueRatio).toBeNull();
    const ratio = exp.criteria.find((c) => c.kind === 'cost_value_ratio')!;
    expect(ratio).toMatchObject({ figure: null, display: 'not defined', pass: true });
    expect(ratio.note).toMatch(
      /^cost did not change: the ratio is not defined, and then a positive lift passes/,
    );
    expect(exp.state).toBe('qualifies');
    expect(renderText(readout)).toMatch(
      /PASS\s+cost-value ratio \(lift % ÷ cost increase %\) ≥ 0\.6\s+not defined/,
    );
  });

  it('does not evaluate latency when llm-sim answered at once, and shows the harness’s own time apart', () => {
    const zero: RunState = { ...run, meta: { ...run.meta, llmSim: { latency: 'zero' } } };
    const timed = securityRecords.map((r) => ({
      ...r,
      queueWaitMs: 40,
      latencyMs: (r.durationMs ?? 0) + 25,
    }));
    const readout = buildReadout({ records: timed, run: zero, experiments: security, seed: 1 });
    const exp = readout.experiments[0]!;
    expect(readout.run.simulatorLatency).toBe('zero');
    expect(readout.warnings).toContain(
      'llm-sim answered at once (--zero-latency): latency figures measure this machine, not the models; latency criteria are not evaluated',
    );
    const latency = exp.criteria.find((c) => c.kind === 'p95_latency')!;
    expect(latency).toMatchObject({ pass: null, display: 'not evaluated', figure: null });
    expect(latency.note).toMatch(/--zero-latency/);
    expect(exp.state).toBe('qualifies');
    expect(exp.reason).toMatch(/not evaluated: p95 latency per user ≤ 2\.0 s \(llm-sim answered at once/);
    expect(exp.harnessLatency).toEqual({
      requests: expect.any(Number),
      queueWaitP95Ms: 40,
      overheadP95Ms: 25,
    });
    const text = renderText(readout);
    expect(text).toMatch(/SKIP\s+p95 latency per user ≤ 2\.0 s\s+not evaluated/);
    expect(text).toContain(
      'harness (not the models; p95 per request): queue wait 0.04 s, end-to-end minus agent time 0.03 s',
    );
    // With the simulator's latency profile the criterion is judged on the agents' durations, as before.
    const profile: RunState = { ...run, meta: { ...run.meta, llmSim: { latency: 'profile' } } };
    const judged = buildReadout({ records: timed, run: profile, experiments: security, seed: 1 })
      .experiments[0]!;
    expect(judged.criteria.find((c) => c.kind === 'p95_latency')?.pass).toBe(true);
    // A loaded machine shows in the harness's time, and the readout says so rather than staying silent.
    const slow = timed.map((r) => ({ ...r, latencyMs: (r.durationMs ?? 0) + 900 }));
    const loaded = buildReadout({ records: slow, run: profile, experiments: security, seed: 1 });
    expect(loaded.warnings).toContain(
      "security-level: the harness's own time (p95 0.90 s end-to-end minus agent time) is large against the 2 s " +
        "latency limit: this machine may be loaded, and its scheduling delays can inflate the agents' durations",
    );
    expect(readout.warnings.some((w) => w.includes("harness's own time"))).toBe(false);
  });
});
