import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { groupFailures } from '../readout/index.js';
import { printReport, runDoctor } from '../doctor/index.js';
import { LLM_SIM_OFF } from '../shared/config.js';
import {
  everyExperimentDecided,
  followRun,
  formatDecidedStop,
  buildReadout,
  loadExperiments,
  selectExperiments,
  renderText,
  DEFAULT_RUN_SHAPE,
  defaultNeeds,
  expectedSizes,
  formatSizes,
  queriesFor,
  checkExitCode,
  DEFAULT_DRAIN_MS,
} from '../readout/index.js';
import { QUERY_QUEUE } from '../shared/query-job.js';
import { redactUrl } from '../shared/logger.js';
import { freePort, waitForHttp } from '../shared/net.js';
import { bullConnection, checkRedis, createRedis, RedisKeys } from '../shared/redis.js';
import { redisServerCommand } from '../shared/redis-server.js';
import { RunStore } from '../shared/runs.js';
import { printPartialSummary, writeReadoutFiles } from './readout-output.js';
import { arrivalOffsets, parseDuration, parseStages, scheduleFrom } from '../shared/arrivals.js';
import { computeRunStats, renderRunStats } from './run-stats.js';
import { LiveFeed, liveProgress } from './live-stats.js';
import { ChildProcesses, type ChildExit, type SpawnOptions } from './child-processes.js';
import type { StartConfig } from './config.js';
import type { StartOptions } from './options.js';

export interface StartIo {
  /** The environment handed to every child (their own config parses it). */
  env: NodeJS.ProcessEnv;
  out: NodeJS.WriteStream;
  /** The CLI script children are started with (`node <cli> <command>`). */
  cliPath: string;
  /** Resolves when the user asks to stop (Ctrl-C); `start` then ends everything. */
  stopRequested: Promise<void>;
}

const PROGRESS_POLL_MS = 500;

/**
 * `loadgen start`: the docker-compose topology as child processes on this machine — Redis (REDIS_URL, or a
 * redis-server of its own), llm-sim unless provider keys are set, the agent service, the dashboard, N workers,
 * then the producer — with a progress display, and the readout when the run ends. Every child is ended on exit,
 * on Ctrl-C and when one of them crashes (the crash is reported with the end of its log). Returns the exit code.
 */
export async function runStart(config: StartConfig, options: StartOptions, io: StartIo): Promise<number> {
  const say = (line: string) => io.out.write(`${line}\n`);
  const logDir = options.logs ?? mkdtempSync(join(tmpdir(), 'loadgen-start-'));
  mkdirSync(logDir, { recursive: true });
  let crashed: ChildExit | undefined;
  let onCrash: (exit: ChildExit) => void = () => {};
  const crash = new Promise<ChildExit>((resolve) => (onCrash = resolve));
  const children = new ChildProcesses(logDir, (exit) => {
    crashed ??= exit;
    onCrash(exit);
  });
  const cli = (name: string, args: string[], env: NodeJS.ProcessEnv, more: Partial<SpawnOptions> = {}) =>
    children.spawn(name, process.execPath, [io.cliPath, ...args], { env, ipc: true, ...more });
  // Whatever happens first: the run's end, a crash, or Ctrl-C.
  const interrupted = Promise.race([
    crash.then(() => 'crash' as const),
    io.stopRequested.then(() => 'stop' as const),
  ]);
  let redisDir: string | undefined;
  let ownRedisUrl: string | undefined;
  let exitCode = 0;
  const race = <T>(step: Promise<T>) =>
    Promise.race([step, interrupted.then((reason) => Promise.reject(new StopSignal(reason)))]);

  const simOff = config.llmSimUrl === LLM_SIM_OFF;
  const simUrl = simOff ? undefined : config.llmSimUrl;
  const live = simOff || Boolean(config.openaiApiKey || config.anthropicApiKey || config.mistralApiKey);
  const experiments = loadExperiments();
  const watched = options.stopWhenDecided && selectExperiments(experiments, options.stopWhenDecided);
  // The producer runs with its default segment mix and personal-data share: size with those.
  const needs = defaultNeeds(experiments);
  const schedule = scheduleFrom({
    arrival: options.arrival,
    rate: options.rate,
    durationMs: options.duration === undefined ? undefined : parseDuration(options.duration),
    stages: options.stages === undefined ? undefined : parseStages(options.stages),
  });
  // Open model: the producer makes one query per arrival of the same seeded schedule.
  const queries = schedule
    ? arrivalOffsets(schedule, options.seed).length
    : options.queries === 'auto'
      ? queriesFor(needs, DEFAULT_RUN_SHAPE)
      : options.queries;
  say(`loadgen start: logs in ${logDir}`);
  say(formatSizes(expectedSizes(needs, queries, DEFAULT_RUN_SHAPE), queries));
  try {
    let redisUrl = config.redisUrl;
    if (redisUrl) {
      await checkRedis(redisUrl);
      say(`  redis          ${redactUrl(redisUrl)} (REDIS_URL)`);
    } else {
      const port = await freePort();
      redisDir = mkdtempSync(join(tmpdir(), 'loadgen-redis-'));
      const redisArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      redisArgs.push('--dir', redisDir);
      const [command, args] = redisServerCommand(redisArgs);
      await race(
        children.spawn('redis', command, args, { env: io.env, readyLine: 'Ready to accept connections' }),
      );
      redisUrl = `redis://127.0.0.1:${port}`;
      ownRedisUrl = redisUrl;
      say(`  redis          ${redisUrl} (redis-server in ${redisDir})`);
    }

    const env: NodeJS.ProcessEnv = { ...io.env, REDIS_URL: redisUrl, LOG_LEVEL: io.env.LOG_LEVEL ?? 'info' };
    if (live && !simUrl) {
      say(`  LLMs           LIVE (${simOff ? 'LLM_SIM_URL=off' : 'provider keys are set'})`);
      delete env.LLM_SIM_URL;
      if (options.doctor) {
        // Before anything that spends: a missing key, an unknown model or a disabled AI Config stops here.
        say('  doctor         checking before the paid run (--no-doctor skips it)\n');
        const report = await race(runDoctor({ env }));
        printReport(report, io.out);
        if (!report.ok) {
          say('\nloadgen start: the preflight failed, nothing started (fix the lines above, or --no-doctor)');
          return 1;
        }
        say('');
      }
    } else if (simUrl) {
      say(`  LLMs           SIMULATED by ${redactUrl(simUrl)} (LLM_SIM_URL)`);
    } else {
      const port = await freePort();
      const simArgs = ['sim', '--port', String(port), '--seed', String(options.seed)];
      if (options.zeroLatency) {
        simArgs.push('--zero-latency');
      }
      await race(cli('llm-sim', simArgs, env));
      env.LLM_SIM_URL = `http://127.0.0.1:${port}`;
      await race(waitForHttp(`${env.LLM_SIM_URL}/healthz`));
      say(`  LLMs           SIMULATED by llm-sim at ${env.LLM_SIM_URL}`);
    }

    const agentPort = await freePort();
    env.AGENT_SERVICE_URL = `http://127.0.0.1:${agentPort}`;
    await race(cli('agent-service', ['agent-service', '--port', String(agentPort)], env));
    await race(waitForHttp(`${env.AGENT_SERVICE_URL}/ready`, 60_000, 200));
    say(`  agent service  ${env.AGENT_SERVICE_URL}`);

    const dashboardPort = options.dashboardPort || (await freePort());
    await race(cli('dashboard', ['dashboard', '--port', String(dashboardPort), '--host', '127.0.0.1'], env));
    const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
    await race(waitForHttp(`${dashboardUrl}/health`));
    say(`  dashboard      ${dashboardUrl}  (Bull Board at ${dashboardUrl}/queues)`);

    // Each worker serves the same /metrics as in compose, on a free port of its own (loopback unless set).
    const workerEnv = { ...env, WORKER_METRICS_HOST: env.WORKER_METRICS_HOST || '127.0.0.1' };
    const metricsPorts: number[] = [];
    for (let i = 1; i <= options.workers; i++) {
      const metricsPort = await freePort();
      metricsPorts.push(metricsPort);
      const args = [
        'worker',
        '--concurrency',
        String(options.concurrency),
        '--metrics-port',
        String(metricsPort),
      ];
      await race(cli(`worker-${i}`, args, workerEnv, { group: 'workers' }));
    }
    say(`  workers        ${options.workers} × concurrency ${options.concurrency}`);
    say(
      `  metrics        ${env.AGENT_SERVICE_URL}/metrics, workers ${metricsPorts
        .map((port) => `http://${workerEnv.WORKER_METRICS_HOST}:${port}/metrics`)
        .join(' ')}`,
    );

    const runId = `start-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;
    const runArgs = ['run', '--queries', String(queries), '--run-id', runId, '--seed', String(options.seed)];
    if (options.budgetUsd !== undefined) {
      runArgs.push('--budget-usd', String(options.budgetUsd));
    }
    for (const [flag, value] of [
      ['--rate', options.rate],
      ['--duration', options.duration],
      ['--stages', options.stages],
      ['--arrival', options.arrival],
      ['--drop-after', options.dropAfter],
    ] as const) {
      if (value !== undefined) {
        runArgs.push(flag, String(value));
      }
    }
    await race(cli('producer', runArgs, env, { oneShot: true }));
    const produced = await race(children.exitOf('producer'));
    if (produced.code !== 0) {
      say(`\nthe producer failed (exit ${produced.code}):\n${produced.tail}`);
      return 1;
    }
    say(`  run            ${runId}: ${queries} queries enqueued\n`);

    const redis = createRedis(redisUrl, { connectionName: 'loadgen-start' });
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(redisUrl, 'loadgen-start-queue'),
      prefix: config.redisPrefix,
    });
    try {
      const store = new RunStore(redis, new RedisKeys(config.redisPrefix));
      const bar = liveProgress(queries, io.out);
      const live = new LiveFeed(store, queue, runId);
      const followed = await race(
        followRun({
          store,
          queue,
          runId,
          decide: watched
            ? {
                experiments: watched,
                seed: options.seed,
                every: options.decideEvery,
                isDecided: everyExperimentDecided,
              }
            : undefined,
          pollMs: PROGRESS_POLL_MS,
          // A stopped run's jobs in flight are waited for, so the summary's spend is final.
          drainMs: DEFAULT_DRAIN_MS,
          onProgress: async (results, state) => bar.update(results, await live.poll(state)),
        }),
      )
        .finally(bar.stop)
        .catch(async (err: unknown) => {
          if (err instanceof StopSignal && err.reason === 'stop') {
            await printPartialSummary(store, runId, experiments, options, say).catch((e: Error) =>
              say(`(no partial summary: ${e.message})`),
            );
          }
          throw err;
        });
      if (followed.decided) {
        say(`\n${formatDecidedStop(followed)}`);
      }
      if (followed.unfinished) {
        say(
          `\n${followed.unfinished} job(s) of the stopped run had not ended after ${DEFAULT_DRAIN_MS / 1000} s: ` +
            'the spend below may still grow (`loadgen report` later reads it again)',
        );
      }
      const records = await store.allResults(runId);
      const stats = computeRunStats(records, {
        budgetUsd: followed.state.meta.budgetUsd,
        spendUsd: followed.state.spendUsd,
      });
      say(`\n${renderRunStats(stats)}`);
      if (options.summaryExport) {
        writeFileSync(options.summaryExport, `${JSON.stringify({ runId, ...stats }, null, 2)}\n`);
        say(`summary written to ${options.summaryExport}`);
      }
      const readout = buildReadout({ records, run: followed.state, experiments, seed: options.seed });
      say(`\n${renderText(readout)}`);
      for (const line of await writeReadoutFiles(readout, options)) {
        say(line);
      }
      if (options.check) {
        exitCode = checkExitCode(readout);
        say(`\n--check: exit ${exitCode}`);
      }
      // The readout counts failed jobs; a rehearsal must also say why (a model the provider does not serve...).
      const failures = groupFailures(records);
      if (failures.length > 0) {
        say(`\nfailed jobs by reason:\n${failures.map((f) => `  ${f.count} × ${f.reason}`).join('\n')}`);
      }
    } finally {
      await queue.close().catch(() => {});
      await redis.quit();
    }
    if (!options.exit && !options.check) {
      say(`\ndashboard: ${dashboardUrl}  (Ctrl-C to stop)`);
      await interrupted;
    }
    return crashed ? 1 : exitCode;
  } catch (err) {
    if (err instanceof StopSignal && err.reason === 'stop') {
      say('\nstopping');
      return 130;
    }
    if (!(err instanceof StopSignal)) {
      say(`\nloadgen start failed: ${(err as Error).message}`);
    }
    return 1;
  } finally {
    if (crashed) {
      say(
        `\n${crashed.name} crashed (${crashed.signal ?? `exit ${crashed.code}`}); stopping everything. Its last lines:\n${crashed.tail}`,
      );
    }
    if (options.keepRedis && ownRedisUrl && redisDir) {
      await saveRedis(ownRedisUrl, redisDir, say);
      redisDir = undefined;
    }
    await children.stopAll();
    if (redisDir) {
      rmSync(redisDir, { recursive: true, force: true });
    }
  }
}

/** `--keep-redis`: start's own redis-server writes its data to dump.rdb in its directory, which stays. */
async function saveRedis(url: string, dir: string, say: (line: string) => void): Promise<void> {
  const redis = createRedis(url, { connectionName: 'loadgen-start-save', maxRetriesPerRequest: 1 });
  try {
    await redis.save();
    say(
      `\nredis data kept in ${dir}/dump.rdb; read it again with\n` +
        `  redis-server --dir ${dir} --port 6390 &  REDIS_URL=redis://127.0.0.1:6390 loadgen report <run>`,
    );
  } catch (err) {
    say(`\ncould not save the redis data: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

class StopSignal extends Error {
  constructor(readonly reason: 'crash' | 'stop') {
    super(reason);
  }
}
