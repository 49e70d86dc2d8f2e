import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProducerError } from '../producer/errors.js';
import { registerRunCommand } from '../producer/command.js';
import { createRun } from '../producer/index.js';
import { readQuerySet } from '../producer/query-set.js';
import { ConfigError } from '../shared/errors.js';
import { QUERY_QUEUE, QueryJobSchema } from '../shared/query-job.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

describe('createRun against Redis', () => {
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let prefix: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'producer-test-'));
    prefix = testPrefix('prod');
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  function open() {
    const url = testRedisUrl();
    const queue = new Queue(QUERY_QUEUE, { connection: bullConnection(url, `${prefix}:test-queue`), prefix });
    const redis = createRedis(url, { connectionName: `${prefix}:test` });
    closers.push(
      () => queue.close(),
      () => redis.quit(),
    );
    return { queue, redis, store: new RunStore(redis, new RedisKeys(prefix)) };
  }

  const deps = () => ({ redisUrl: testRedisUrl(), prefix });

  it('enqueues 10,000 jobs in one run, records the run, and adds nothing when the run id is re-run', async () => {
    const { queue, store, redis: redisKeys } = open();
    const options = { runId: 'big-run', queries: 10_000, seed: 5, budgetUsd: 25 };
    const first = await createRun(options, deps());
    expect(first.created).toBe(true);
    expect(await queue.getWaitingCount()).toBe(10_000);

    const job = await queue.getJob('big-run.9999');
    expect(job?.name).toBe('query');
    expect(QueryJobSchema.parse(job?.data)).toEqual(first.jobs[9999]);
    expect(job?.opts.attempts).toBe(5);

    const state = await store.get('big-run');
    expect(state?.meta).toMatchObject({
      runId: 'big-run',
      seed: 5,
      mode: 'SIMULATED',
      budgetUsd: 25,
      counts: { queries: 10_000, pii: 1500, bySegment: { 'other-paid': 10_000 } },
      options: { queries: 10_000, piiPercentage: 15, topicMethod: 'extractive', questions: 'templates' },
    });
    expect(first.plan.estimate.requestsUsd).toBeGreaterThan(0);
    // Topics are kept in Redis under the prefix, not in a folder: the next run of this base reuses them.
    expect(first.plan.source).toMatchObject({ topicsCached: false });
    const kbHash = first.plan.source.kind === 'generated' ? first.plan.source.kbHash : '';
    expect(await redisKeys.exists(`${prefix}:topics:${kbHash}:extractive`)).toBe(1);
    expect(Object.keys(first.plan.estimate.bySegment)).toEqual(['other-paid']);

    // Same id, other options: the stored run wins and no job is added.
    const again = await createRun({ ...options, seed: 6, queries: 200 }, deps());
    expect(again.created).toBe(false);
    expect(again.plan.source).toMatchObject({ topicsCached: true });
    expect(await queue.getWaitingCount()).toBe(10_000);
    expect((await store.get('big-run'))?.meta.seed).toBe(5);
    expect((await queue.getJob('big-run.0'))?.data).toEqual(first.jobs[0]);
  });

  it('writes the query set on a dry run without touching Redis, then replays it from the file', async () => {
    const { queue, store } = open();
    const out = join(dir, 'set.jsonl');
    const dry = await createRun({ runId: 'replay', queries: 40, seed: 9, dryRun: true, out }, {});
    expect(dry.dryRun).toBe(true);
    expect(await readQuerySet(out)).toEqual(dry.jobs);
    expect(await queue.getWaitingCount()).toBe(0);
    expect(await store.get('replay')).toBeUndefined();

    const replay = await createRun({ fromFile: out }, deps());
    expect(replay.runId).toBe('replay');
    expect(replay.plan.source).toEqual({ kind: 'file', path: out });
    expect(await queue.getWaitingCount()).toBe(40);
    expect((await queue.getJob('replay.7'))?.data).toEqual(dry.jobs[7]);
    expect((await store.get('replay'))?.meta.counts.queries).toBe(40);
    // The run records what it was made from, not generation defaults it never used.
    expect((await store.get('replay'))?.meta.options).toEqual({
      fromFile: out,
      chunkSize: 1000,
      estimatedCostUsd: replay.plan.estimate.requestsUsd,
    });

    // Another run id takes the same set as a new run.
    await createRun({ fromFile: out, runId: 'replay-2' }, deps());
    expect(await queue.getWaitingCount()).toBe(80);
    expect((await queue.getJob('replay-2.7'))?.data).toEqual({ ...dry.jobs[7], runId: 'replay-2' });
  });

  it('fails clearly on an unreachable Redis (no password shown), an empty knowledge base and bad files', async () => {
    const unreachable = createRun({ queries: 5 }, { redisUrl: 'redis://:hunter2secret@127.0.0.1:1', prefix });
    await expect(unreachable).rejects.toThrow(ProducerError);
    await expect(unreachable).rejects.toThrow(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    await expect(unreachable).rejects.not.toThrow(/hunter2/);

    const empty = join(dir, 'empty-kb');
    await mkdir(empty);
    await expect(createRun({ kbDir: empty, dryRun: true })).rejects.toThrow(/no readable document/);

    await expect(createRun({ fromFile: join(dir, 'missing.jsonl'), dryRun: true })).rejects.toThrow(
      /cannot read query set .*missing\.jsonl/,
    );
    const bad = join(dir, 'bad.jsonl');
    await writeFile(
      bad,
      '{"runId":"r","seq":0,"query":"hi","user":{"key":"u"}}\n{"runId":"r","seq":1,"query":"","user":{}}\n',
    );
    await expect(createRun({ fromFile: bad, dryRun: true })).rejects.toThrow(/bad\.jsonl:2: query: /);

    await expect(createRun({ segments: 'vip=1', dryRun: true })).rejects.toThrow(ConfigError);
    await expect(createRun({ segments: 'vip=1', dryRun: true })).rejects.toThrow(
      /unknown segment "vip" \(known: eu-free/,
    );
    await expect(createRun({ queries: 5 })).rejects.toThrow(/needs deps.redisUrl/);
  });
});

describe('loadgen run', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
  });

  async function runCli(args: string[], env: Record<string, string>) {
    let stdout = '';
    let stderr = '';
    let exitCode: number | undefined;
    const program = new Command('loadgen').exitOverride();
    registerRunCommand(program, {
      env,
      stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
      setExitCode: (code) => (exitCode = code),
    });
    await program.parseAsync(['node', 'loadgen', 'run', ...args]);
    return { stdout, stderr, exitCode };
  }

  it('prints the plan and enqueues; logs progress as JSON when not on a terminal', async () => {
    const prefix = testPrefix('cli');
    const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };
    const { stdout, stderr } = await runCli(
      ['--queries', '30', '--seed', '1', '--run-id', 'cli-run', '--segments', 'other-paid=0.5,eu-paid=0.5'],
      env,
    );
    expect(stdout).toMatch(/^run cli-run {2}mode SIMULATED {2}seed 1$/m);
    expect(stdout).toMatch(
      /segments: (other-paid 15 \(50%\), eu-paid 15 \(50%\)|eu-paid 15 \(50%\), other-paid 15 \(50%\))/,
    );
    expect(stdout).toMatch(/with PII: 5 \(16\.7%\)/);
    expect(stdout).toMatch(/estimated cost: \$\d+\.\d+ for requests/);
    expect(stdout).toMatch(
      /other-paid: 15 requests, .*split security-agent baseline 50% \/ enhanced 50%; support-agent other-paid 50% \/ claude-opus-treatment 50%/,
    );
    expect(stdout).toMatch(/enqueued 30 jobs for run cli-run/);
    const logs = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; phase?: string });
    expect(logs.some((l) => l.msg === 'progress' && l.phase === 'enqueue')).toBe(true);

    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${prefix}:q`),
      prefix,
    });
    closers.push(() => queue.close());
    expect(await queue.getWaitingCount()).toBe(30);
  });

  it('fails on an unreachable Redis with a ProducerError that names it without its password', async () => {
    // The CLI prints it as one line, `loadgen run: …`, exit 1 (test/cli-errors.test.ts).
    const failed = runCli(['--queries', '3'], {
      REDIS_URL: 'redis://:hunter2secret@127.0.0.1:1',
      LOG_LEVEL: 'silent',
    });
    await expect(failed).rejects.toThrow(ProducerError);
    await expect(failed).rejects.toThrow(/^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?: /);
    await expect(failed).rejects.not.toThrow(/hunter2/);
  });

  it('rejects a bad count before doing anything', async () => {
    await expect(runCli(['--queries', 'many', '--dry-run'], {})).rejects.toThrow(/queries \(--queries\)/);
  });
});
