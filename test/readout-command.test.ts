import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerReadoutCommands } from '../readout/command.js';
import { ReadoutError } from '../readout/index.js';
import { ConfigError } from '../shared/errors.js';
import type { ResultRecord } from '../shared/result-record.js';
import type { Readout } from '../readout/build-readout.js';
import type { Plan } from '../readout/experiment-plan.js';
import { syntheticRecords } from '../readout/synthetic-records.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore, type RunMeta } from '../shared/runs.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

/** Both seed experiments in one run: users get a variation of each flag; feedback follows the security flag. */
function runRecords(runId: string): ResultRecord[] {
  return [
    ...syntheticRecords({
      seed: 4,
      // Over the 1,018 users per arm the security experiment needs at this baseline (a decision, not
      // "inconclusive").
      users: 2400,
      runId,
      failureRate: 0.02,
      judgeErrorRate: 0.01,
      flags: {
        'security-agent': {
          baseline: { positive: 0.45, durationMs: 500, costUsd: 0.002 },
          enhanced: { positive: 0.62, durationMs: 550, costUsd: 0.0021 },
        },
        'support-agent': {
          'other-paid': { positive: 0, durationMs: 600, costUsd: 0.02 },
          'claude-opus-treatment': { positive: 0, durationMs: 700, costUsd: 0.1 },
        },
      },
    }),
  ];
}

function meta(runId: string, queries: number): RunMeta {
  return {
    runId,
    createdAt: Date.now(),
    seed: 77,
    mode: 'SIMULATED',
    options: {},
    budgetUsd: 50,
    counts: { queries, pii: 0, bySegment: { 'other-paid': queries }, byComplexity: {} },
    harnessCostUsd: 0.25,
  };
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('loadgen report / export / plan', () => {
  let prefix: string;
  let dir: string;
  let exitCode: number | undefined;
  let out: Collect;
  let err: Collect;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    prefix = testPrefix('ro');
    dir = await mkdtemp(join(tmpdir(), 'loadgen-readout-'));
    exitCode = undefined;
    out = new Collect();
    err = new Collect();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) {
      await close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<string> {
    out = new Collect();
    err = new Collect();
    const program = new Command('loadgen').exitOverride();
    registerReadoutCommands(program, {
      stdout: out,
      stderr: err,
      env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
      setExitCode: (code) => {
        exitCode = code;
      },
    });
    await program.parseAsync(['node', 'loadgen', ...args]);
    return out.text;
  }

  async function seedRun(runId: string, records: ResultRecord[]): Promise<void> {
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:seed` });
    closers.push(() => redis.quit());
    const store = new RunStore(redis, new RedisKeys(prefix));
    await store.create(meta(runId, records.length));
    for (let i = 0; i < records.length; i += 200) {
      await Promise.all(records.slice(i, i + 200).map((r) => store.recordResult(r)));
    }
    await store.addSpend(runId, 12.5);
    await store.setStatus(runId, 'done');
  }

  it('reads a run from Redis: mode, seed, counts, budget, spend, criteria and decisions; --check exits 3', async () => {
    await seedRun('run-a', runRecords('run-a'));
    const text = await cli('report', 'run-a', '--check');
    expect(text).toContain('Run run-a · mode SIMULATED · run seed 77 · readout seed 77 · status done');
    expect(text).toMatch(
      /Records 2,400 of 2,400 queries · completed 2,3\d\d · failed \d+ · judge errors \d+ · users 2,400/,
    );
    expect(text).toMatch(/Spend \$12\.50 \(requests \$\d+\.\d+, harness \$0\.\d+\) · budget \$50\.00/);
    expect(text).toContain('decision: Deploy enhanced security to all users');
    expect(text).toMatch(/FAIL\s+cost-value ratio \(lift % ÷ cost increase %\) ≥ 0\.6/);
    // Feedback follows the security flag here: the premium lift is ~0, so the sentence names the lift too.
    expect(text).toMatch(
      /decision: Keep other-paid: claude-opus-treatment does not meet lift in positive feedback rate per user ≥ \+15%, .*cost-value ratio/,
    );
    expect(exitCode).toBe(3);

    exitCode = undefined;
    const html = join(dir, 'report.html');
    const json = JSON.parse(
      await cli('report', 'run-a', '--json', '--check', '--experiment', 'security-level', '--html', html),
    ) as Readout;
    expect(json.run).toMatchObject({
      runId: 'run-a',
      mode: 'SIMULATED',
      runSeed: 77,
      budgetUsd: 50,
      spendUsd: 12.5,
    });
    expect(json.experiments.map((e) => [e.id, e.state])).toEqual([['security-level', 'qualifies']]);
    expect(exitCode).toBeUndefined();
    const page = await readFile(html, 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('Deploy enhanced security to all users');
    expect(page.match(/<svg /g)).toHaveLength(3);
  });

  it('says "not enough data yet" with the users each arm has and needs, and --check exits 4', async () => {
    await seedRun('run-c', runRecords('run-c').slice(0, 40));
    const text = await cli('report', 'run-c', '--check');
    expect(text).toMatch(
      /state: INCONCLUSIVE\n {2}decision: Not enough data yet: baseline has \d+ of [\d,]+ users, enhanced \d+ of [\d,]+; about [\d,]+ more queries \(~\$\d+\.\d+\) at this run's rates/,
    );
    expect(text).not.toContain('Keep baseline security for cost efficiency');
    expect(exitCode).toBe(4);
    const json = JSON.parse(await cli('report', 'run-c', '--json')) as Readout;
    const security = json.experiments.find((e) => e.id === 'security-level')!;
    expect(security.state).toBe('inconclusive');
    const { requiredUsersPerArm, more } = security.evidence;
    expect(requiredUsersPerArm).toBeGreaterThan(security.users.control);
    // The lagging arm's shortfall, doubled for the 50/50 split, at 40 records per this run's users in the arm.
    const lagging = requiredUsersPerArm! - Math.min(security.users.control, security.users.treatment);
    const perUser = 40 / (security.users.control + security.users.treatment);
    expect(more!.queries).toBe(Math.ceil(2 * lagging * perUser));
    expect(more!.usd).toBeGreaterThan(0);
  });

  it('exports JSONL that `report --input` reads to the same experiment figures, without Redis', async () => {
    const records = runRecords('run-b');
    await seedRun('run-b', records);
    const file = join(dir, 'run-b.jsonl');
    expect(await cli('export', 'run-b', '--output', file)).toBe(
      `exported 2400 result records of run run-b to ${file}\n`,
    );
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2400);
    expect(lines.map((l) => (JSON.parse(l) as ResultRecord).jobId).sort()).toEqual(
      records.map((r) => r.jobId).sort(),
    );
    expect((await cli('export', 'run-b')).trimEnd().split('\n')).toHaveLength(2400);

    // Seeded alike (the run's seed is the default from Redis), both give the same bootstrap intervals.
    const fromRedis = JSON.parse(await cli('report', 'run-b', '--json', '--seed', '5')) as Readout;
    // An unreachable Redis proves --input does not touch it.
    const program = new Command('loadgen').exitOverride();
    const offline = new Collect();
    registerReadoutCommands(program, {
      stdout: offline,
      stderr: err,
      env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_PREFIX: prefix },
      setExitCode: () => {},
    });
    await program.parseAsync(['node', 'loadgen', 'report', '--input', file, '--json', '--seed', '5']);
    const fromFile = JSON.parse(offline.text) as Readout;
    expect(fromFile.experiments).toEqual(fromRedis.experiments);
    expect(fromFile.run).toMatchObject({ runId: 'run-b', mode: 'UNKNOWN', budgetUsd: null });
    expect(fromFile.run.counts).toEqual({ ...fromRedis.run.counts, queries: null });
  });

  it('names what is wrong: option errors throw a ConfigError (exit 2), a missing run or bad file exit 1', async () => {
    await expect(cli('report')).rejects.toThrow(ConfigError);
    await expect(cli('report', 'x', '--input', 'f.jsonl')).rejects.toThrow(
      /either a run id .* or --input FILE/,
    );
    await expect(cli('report', 'bad.id')).rejects.toThrow('invalid option runId: must be 1-64 letters');
    await expect(cli('report', 'r', '--seed', 'abc')).rejects.toThrow(/invalid option --seed/);
    await expect(cli('report', 'r', '--experiment', 'nope')).rejects.toThrow(
      'unknown experiment "nope" (known: security-level, premium-model-value)',
    );
    await expect(cli('plan', '--baseline', '1.5')).rejects.toThrow(
      'invalid option --baseline: a rate must be between 0 and 1',
    );
    await expect(cli('plan', '--baseline', '0.9', '--lift', '0.2')).rejects.toThrow(
      /treatment rate of 1\.08/,
    );

    // A ReadoutError is exit 1: the CLI prints it as one line, `loadgen report: …` (test/cli-errors.test.ts).
    await expect(cli('report', 'no-such-run')).rejects.toThrow(
      new ReadoutError(`run "no-such-run" not found (REDIS_PREFIX=${prefix}); see the runs on the dashboard`),
    );
    expect(out.text).toBe('');

    const file = join(dir, 'bad.jsonl');
    const good = JSON.stringify(runRecords('r')[0]);
    await writeFile(file, `${good}\n\n${JSON.stringify({ ...JSON.parse(good), userKey: 5 })}\n`);
    await expect(cli('report', '--input', file)).rejects.toThrow(new RegExp(`^${file}:3: userKey: `));
    await expect(cli('report', '--input', join(dir, 'missing.jsonl'))).rejects.toThrow(
      new ReadoutError(`cannot read ${join(dir, 'missing.jsonl')}: no such file`),
    );
  });

  it('names an output it cannot write (export --output, report --html) in a ReadoutError (exit 1)', async () => {
    await seedRun('run-w', runRecords('run-w'));
    const missing = join(dir, 'no-such-dir', 'x.jsonl');
    await expect(cli('export', 'run-w', '--output', missing)).rejects.toThrow(
      new ReadoutError(`cannot write ${missing}: no such directory`),
    );
    expect(out.text).toBe('');

    const html = join(dir, 'no-such-dir', 'r.html');
    await expect(cli('report', 'run-w', '--experiment', 'security-level', '--html', html)).rejects.toThrow(
      new ReadoutError(`cannot write ${html}: no such directory`),
    );
    expect(out.text).toBe('');

    await expect(cli('export', 'run-w', '--output', dir)).rejects.toThrow(
      new ReadoutError(`cannot write ${dir}: is a directory`),
    );
  });

  it('plans users per arm and the expected spend before anything is paid', async () => {
    const text = await cli('plan', '--experiment', 'premium-model-value', '--lift', '0.2');
    expect(text).toContain('users per arm: 223\n');
    expect(text).toContain(
      'queries to run: 446 (446 users in the audience, 1 per user): loadgen run --queries 446',
    );
    expect(text).toMatch(/support-agent: gpt-4o → claude-opus-5-5/);
    expect(text).toMatch(/expected request spend: \$\d+\.\d+ \(control \$\d+\.\d+, treatment \$\d+\.\d+\)/);
    const [plan] = JSON.parse(await cli('plan', '--json', '--experiment', 'security-level')) as Plan[];
    expect(plan).toMatchObject({ experimentId: 'security-level', lift: 0.1, confidence: 0.9, power: 0.8 });
    expect(plan?.expectedUsd?.total).toBeGreaterThan(0);
    // security-agent runs only on requests with PII (15% by default): about 1/0.15 times the users.
    const security = await cli('plan', '--experiment', 'security-level', '--pii-percentage', '20');
    const perArm = plan!.usersPerArm;
    const queries = Math.ceil((2 * perArm) / 0.2);
    expect(security).toContain(
      `users per arm: ${perArm.toLocaleString('en-US')} · only 20.0% of users reach`,
    );
    expect(security).toContain(`loadgen run --queries ${queries}`);
    await expect(cli('plan', '--pii-percentage', '0')).rejects.toThrow(/invalid option --pii-percentage/);
  });

  it('analyses a 100,000-record export with `report --input`', async () => {
    const file = join(dir, 'big.jsonl');
    const stream = createWriteStream(file);
    let chunk = '';
    for (const record of syntheticRecords({
      seed: 8,
      users: 20_000,
      requestsPerUser: 5,
      runId: 'big',
      failureRate: 0.01,
      flags: {
        'security-agent': {
          baseline: { positive: 0.1, durationMs: 200, costUsd: 0.002 },
          enhanced: { positive: 0.13, durationMs: 210, costUsd: 0.00205 },
        },
      },
    })) {
      chunk += JSON.stringify(record) + '\n';
      if (chunk.length > 1 << 20) {
        if (!stream.write(chunk)) {
          await once(stream, 'drain');
        }
        chunk = '';
      }
    }
    stream.end(chunk);
    await once(stream, 'close');

    const readout = JSON.parse(
      await cli('report', '--input', file, '--json', '--experiment', 'security-level'),
    ) as Readout;
    expect(readout.run.counts.records).toBe(100_000);
    expect(readout.run.counts.users).toBe(20_000);
    const [exp] = readout.experiments;
    expect(exp!.users.control + exp!.users.treatment).toBe(20_000);
    expect(exp!.state).toBe('qualifies');
    // Per user over 5 requests: 1 − 0.9⁵ = 0.410 and 1 − 0.87⁵ = 0.502 (+22% per user).
    expect(exp!.positiveFeedback.control.rate).toBeCloseTo(0.41, 1);
    expect(exp!.positiveFeedback.treatment.rate).toBeCloseTo(0.502, 1);
    expect(exp!.positiveFeedback.lift!.lower).toBeLessThan(0.224);
    expect(exp!.positiveFeedback.lift!.upper).toBeGreaterThan(0.224);
  });
});
