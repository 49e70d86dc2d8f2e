import type { Command } from 'commander';
import { loadConfig } from './config.js';
import { StartOptionsSchema } from './options.js';
import { runStart } from './run-start.js';
import { DEFAULT_DECIDE_EVERY } from '../readout/index.js';
import { describeZodError } from '../shared/errors.js';
import { ConfigError } from '../shared/errors.js';
import { ShutdownManager } from '../shared/shutdown.js';

/** Registers `loadgen start` (also `npm start`): the whole topology on this machine, no Docker. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Run everything locally without Docker: Redis (REDIS_URL or a redis-server of its own), llm-sim unless ' +
        'provider keys are set, the agent service, the dashboard, N workers, then the producer; show progress ' +
        'and print the readout when the run ends; keep the dashboard up until Ctrl-C (or --exit)',
    )
    .option(
      '-n, --queries <n>',
      'queries the producer enqueues, or auto: enough for every experiment to reach the users per arm it needs',
      '200',
    )
    .option('-w, --workers <n>', 'worker processes', '10')
    .option('-c, --concurrency <n>', 'jobs each worker runs at once', '10')
    .option('--dashboard-port <port>', 'dashboard port (0 picks a free one)', '3000')
    .option('--seed <n>', 'seed for llm-sim, the producer and the readout', '1')
    .option('--budget-usd <usd>', 'spend limit of the run')
    .option('--logs <dir>', 'where each process writes its log (default: a new temporary directory)')
    .option('--rate <n>', 'open model: new jobs per second for --duration (see `loadgen run --help`)')
    .option('--duration <d>', 'open model: how long --rate lasts (30s, 10m, 1h30m)')
    .option('--stages <list>', 'open model: k6-style rate ramps duration:target,… (e.g. 30s:3,10m:3,1m:10)')
    .option('--arrival <kind>', 'open model: constant or poisson arrivals (default constant)')
    .option(
      '--drop-after <d>',
      'open model: drop a job that cannot start this long after its time (default 5s)',
    )
    .option(
      '--summary-export <file>',
      'write the end summary (duration, latencies, errors, arms, spend) as JSON',
    )
    .option('--exit', 'exit when the run ends instead of keeping the dashboard up', false)
    .option(
      '--stop-when-decided [ids]',
      'stop the run once every experiment (or those of the comma-separated ids) is decided (a readout every ' +
        '--decide-every results): remove its waiting jobs, let running ones finish, and report the spend saved',
      false,
    )
    .option(
      '--decide-every <n>',
      'results between two readouts of --stop-when-decided',
      String(DEFAULT_DECIDE_EVERY),
    )
    .option(
      '--check',
      'CI gate: exit when the run ends with the code of `report --check` (3 an experiment fails, is futile or ' +
        'invalid; 4 one is inconclusive; 0 all qualify); implies --exit',
      false,
    )
    .option('--json <file>', 'write the readout as JSON to this file when the run ends (or on Ctrl-C)')
    .option('--html <file>', 'write the HTML report to this file when the run ends (or on Ctrl-C)')
    .option(
      '--keep-redis',
      "keep the run's data: start's own redis-server saves it to dump.rdb in its directory, which is not " +
        'deleted (an external REDIS_URL is never cleared)',
      false,
    )
    .option('--zero-latency', 'llm-sim answers at once (a quick rehearsal; ignored in live mode)', false)
    .option(
      '--no-doctor',
      'in live mode, skip the `loadgen doctor` preflight that runs before anything starts',
    )
    .action(async (raw: Record<string, unknown>) => {
      const parsed = StartOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new ConfigError(`loadgen start: ${describeZodError(parsed.error)}`);
      }
      const config = loadConfig(process.env);
      // The first Ctrl-C (or SIGTERM) runs `onInterrupt` and asks runStart to end every child (runStart then
      // returns the exit code); a second one exits at once (130).
      let requestStop: () => void = () => {};
      const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
      const onInterrupt = () => requestStop();
      const shutdown = new ShutdownManager({ exitAfterSignal: false }).listen();
      shutdown.register('interrupt', onInterrupt);
      const code = await runStart(config, parsed.data, {
        env: process.env,
        out: process.stdout,
        cliPath: process.argv[1] as string,
        stopRequested,
      });
      process.exit(code);
    });
}
