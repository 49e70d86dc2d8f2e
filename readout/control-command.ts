import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { QUERY_QUEUE, RUN_ID_PATTERN } from '../shared/query-job.js';
import { ConfigError } from '../shared/errors.js';
import { bullConnection, checkRedis, createRedis, RedisKeys } from '../shared/redis.js';
import {
  pauseRun,
  resumeRun,
  RunNotFoundError,
  stopRun,
  type ControlOutcome,
  type RunControlDeps,
} from '../shared/run-control.js';
import { RunStore } from '../shared/runs.js';
import { loadConfig } from './config.js';

/** Registers `loadgen stop|pause|resume RUN`. */
export function registerRunControlCommands(program: Command): void {
  program
    .command('stop')
    .description(
      'Stop a run: remove its jobs not yet started, let those in flight finish, mark it stopped with a reason ' +
        '(the readout says so); its recorded results stay',
    )
    .argument('<runId>', 'the run to stop')
    .option('--reason <text>', 'why (shown in the readout)', 'stopped by loadgen stop')
    .option('--no-wait', 'return at once instead of waiting for the jobs in flight to finish')
    .action(async (runId: string, opts: { reason: string; wait: boolean }) => {
      await control(runId, (deps) => stopRun(deps, runId, opts.reason, { wait: opts.wait }), 'stopped');
    });
  program
    .command('pause')
    .description(
      'Pause a run: its jobs not yet started leave the queue until `loadgen resume` (other runs go on)',
    )
    .argument('<runId>', 'the run to pause')
    .action(async (runId: string) => control(runId, (deps) => pauseRun(deps, runId), 'paused'));
  program
    .command('resume')
    .description('Resume a paused run: its jobs go back into the queue')
    .argument('<runId>', 'the run to resume')
    .action(async (runId: string) => control(runId, (deps) => resumeRun(deps, runId), 'resumed'));
}

async function control(
  runId: string,
  action: (deps: RunControlDeps) => Promise<ControlOutcome>,
  verb: string,
): Promise<void> {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new ConfigError(`invalid run id "${runId}": must be 1-64 letters, digits, _ or -`);
  }
  const config = loadConfig(process.env);
  await checkRedis(config.redisUrl);
  const redis = createRedis(config.redisUrl, { connectionName: `${config.redisPrefix}:control` });
  const queue = new Queue(QUERY_QUEUE, {
    connection: bullConnection(config.redisUrl, `${config.redisPrefix}:control-queue`),
    prefix: config.redisPrefix,
  });
  const keys = new RedisKeys(config.redisPrefix);
  try {
    const outcome = await action({ store: new RunStore(redis, keys), queue, redis, keys });
    process.stdout.write(
      outcome.changed
        ? `run ${runId} ${verb} (${outcome.jobs} jobs ${verb === 'resumed' ? 'back in' : 'out of'} the queue)\n`
        : `run ${runId} is ${outcome.status}: nothing to do\n`,
    );
    if (!outcome.changed) {
      process.exitCode = 1;
    }
  } catch (err) {
    if (err instanceof RunNotFoundError) {
      process.stderr.write(`loadgen: ${err.message} (REDIS_PREFIX=${config.redisPrefix})\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    await queue.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  }
}
