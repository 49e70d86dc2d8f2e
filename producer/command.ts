import { Option, type Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { llmSettingsFrom, type Env } from '../shared/config.js';
import { createLogger, redactUrl, type Logger } from '../shared/logger.js';
import { DEFAULT_DECIDE_EVERY, formatDecidedStop } from '../readout/index.js';
import { startTelemetry } from '../shared/telemetry.js';
import { loadConfig } from './config.js';
import type { RunPhase } from './create-run.js';
import { TOPIC_METHODS, type RunOptionsInput } from './options.js';
import { formatPlan } from './run-plan.js';

/** Where the command reads its environment and writes; tests hand in their own. */
export interface RunCommandIo {
  env: Env;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Sets the exit code after a reported failure; defaults to `process.exitCode`. */
  setExitCode?: (code: number) => void;
}

interface RawOptions {
  queries: string;
  piiPercentage: string;
  segments: string;
  users?: string;
  seed?: string;
  runId?: string;
  topics: string;
  model?: string;
  kb?: string;
  dryRun: boolean;
  out?: string;
  fromFile?: string;
  budgetUsd?: string;
  concurrency: string;
  chunkSize: string;
  json: boolean;
  smoke: boolean;
  doctor: boolean;
  stopWhenDecided: boolean | string;
  decideEvery: string;
  rate?: string;
  stages?: string;
  duration?: string;
  arrival: string;
  dropAfter: string;
}

/** Progress as a bar on a terminal, as a log line per tenth (and phase change) otherwise. */
function progressReporter(
  io: RunCommandIo,
  logger: Logger,
): { update: (p: RunPhase, d: number, t: number) => void; stop: () => void } {
  if (io.stderr.isTTY) {
    let bar: SingleBar | undefined;
    let phase: RunPhase | undefined;
    const stop = () => {
      bar?.stop();
      bar = undefined;
    };
    return {
      update(p, done, total) {
        if (p !== phase) {
          stop();
          phase = p;
          bar = new SingleBar({
            format: `${p.padEnd(9)} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
            stream: io.stderr,
            hideCursor: true,
          });
          bar.start(total, done);
        }
        bar?.update(done);
      },
      stop,
    };
  }
  let last = { phase: '', tenth: -1 };
  return {
    update(phase, done, total) {
      const tenth = Math.floor((10 * done) / Math.max(1, total));
      if (phase !== last.phase || tenth !== last.tenth) {
        last = { phase, tenth };
        logger.info({ phase, done, total }, 'progress');
      }
    },
    stop() {},
  };
}

/** Registers `loadgen run`: generate a query set from the knowledge base and enqueue it. */
export function registerRunCommand(
  program: Command,
  io: RunCommandIo = { env: process.env, stdout: process.stdout, stderr: process.stderr },
): void {
  program
    .command('run')
    .description(
      'Make a run: extract topics from the knowledge base, generate questions (with PII in a share of them) for ' +
        'users of a segment mix, print the plan and estimated cost, record the run in Redis and enqueue one ' +
        'job per question (REDIS_URL, REDIS_PREFIX; LLM_SIM_URL or provider keys for LLM generation)',
    )
    .option(
      '-n, --queries <n>',
      'number of queries to generate, or auto: enough for every experiment to reach the users per arm it needs',
      '200',
    )
    .option('--pii-percentage <pct>', 'share of queries with personal data injected, 0-100', '15')
    .option(
      '--segments <mix>',
      'segment mix as segment=weight,… (e.g. other-paid=0.5,eu-paid=0.5)',
      'other-paid=1',
    )
    .option(
      '--users <n>',
      'draw users from a pool of this many returning users (default: a fresh user per query)',
    )
    .option(
      '--seed <n>',
      'random seed: fixes topics chosen, template questions, users and order (default: random, printed)',
    )
    .option(
      '--run-id <id>',
      "run id, letters, digits, _ and - (default: generated; with --from-file, the file's)",
    )
    .addOption(
      new Option(
        '--topics <method>',
        'topic extraction: auto = llm when a provider key is set, else extractive',
      )
        .choices(TOPIC_METHODS)
        .default('auto'),
    )
    .option(
      '--model <id>',
      "model that extracts topics and writes questions in LLM mode (default: gpt-4o-mini, or the keyed provider's small model)",
    )
    .option('--kb <dir>', 'knowledge-base folder (default: KB_DIR, else the shipped kb/)')
    .option('--dry-run', 'print the plan and write the query set without enqueueing', false)
    .option(
      '-o, --out <file>',
      'write the query set (JSONL) here; a dry run defaults to <run-id>.queries.jsonl',
    )
    .option('--from-file <file>', 'enqueue this query set (JSONL of query jobs) instead of generating one')
    .option('--budget-usd <usd>', 'spend limit stored with the run; workers stop the run when it is reached')
    .option(
      '--stop-when-decided [ids]',
      'after enqueueing, follow the run and stop it once every experiment (or those of the comma-separated ids) ' +
        'is decided (a readout every --decide-every results): remove its waiting jobs, let running ones finish, ' +
        'report the spend saved',
      false,
    )
    .option(
      '--decide-every <n>',
      'results between two readouts of --stop-when-decided',
      String(DEFAULT_DECIDE_EVERY),
    )
    .option(
      '--rate <n>',
      'open model: new jobs per second for --duration (or the start rate of --stages), each a delayed job due ' +
        'at its arrival time, however fast workers finish; the query count is the number of arrivals',
    )
    .option('--duration <d>', 'open model: how long --rate lasts (k6 duration: 30s, 10m, 1h30m)')
    .option('--stages <list>', 'open model: k6-style rate ramps duration:target,… (e.g. 30s:3,10m:3,1m:10)')
    .addOption(
      new Option('--arrival <kind>', 'open model: evenly spaced or seeded Poisson arrivals')
        .choices(['constant', 'poisson'])
        .default('constant'),
    )
    .option(
      '--drop-after <d>',
      'open model: a job that cannot start this long after its scheduled time is dropped (reason dropped)',
      '5s',
    )
    .option('--concurrency <n>', 'concurrent LLM calls while generating', '4')
    .option('--chunk-size <n>', 'jobs per addBulk call', '1000')
    .option('--json', 'print the plan and result as JSON instead of text', false)
    .option(
      '--smoke',
      'enqueue nothing: run `loadgen doctor`, then send one request per servable variation to the agent ' +
        'service (AGENT_SERVICE_URL) and print what each cost and whether it came back with tokens, a price ' +
        'and its tools; exits 1 if any fails',
      false,
    )
    .option('--no-doctor', 'in live mode, skip the `loadgen doctor` preflight that runs before enqueueing')
    .action(async (raw: RawOptions) => {
      const setExitCode = io.setExitCode ?? ((code: number) => (process.exitCode = code));
      if (raw.smoke) {
        const { runSmokeCommand } = await import('../doctor/index.js');
        setExitCode(await runSmokeCommand(io.env, io.stdout));
        return;
      }
      const config = loadConfig(io.env);
      const llm = llmSettingsFrom(config);
      const live = !llm.simUrl && Boolean(llm.openaiApiKey || llm.anthropicApiKey || llm.mistralApiKey);
      if (live && raw.doctor && !raw.dryRun) {
        const { runDoctor } = await import('../doctor/index.js');
        const { printReport } = await import('../doctor/index.js');
        const report = await runDoctor({ env: io.env });
        printReport(report, io.stderr);
        if (!report.ok) {
          io.stderr.write(
            'loadgen run: the preflight failed, nothing enqueued (fix the lines above, or --no-doctor)\n',
          );
          setExitCode(1);
          return;
        }
      }
      const logger = createLogger({
        level: config.logLevel,
        name: 'producer',
        destination: io.stderr,
        pretty: io.stderr.isTTY === true,
      });
      const options: RunOptionsInput = {
        queries: raw.queries,
        piiPercentage: raw.piiPercentage,
        segments: raw.segments,
        topics: raw.topics as RunOptionsInput['topics'],
        dryRun: raw.dryRun,
        concurrency: raw.concurrency,
        chunkSize: raw.chunkSize,
        stopWhenDecided: raw.stopWhenDecided,
        decideEvery: raw.decideEvery,
        ...(raw.users !== undefined ? { users: raw.users } : {}),
        ...(raw.seed !== undefined ? { seed: raw.seed } : {}),
        ...(raw.runId !== undefined ? { runId: raw.runId } : {}),
        ...(raw.model !== undefined ? { model: raw.model } : {}),
        kbDir: raw.kb ?? config.kbDir,
        ...(raw.out !== undefined ? { out: raw.out } : {}),
        ...(raw.fromFile !== undefined ? { fromFile: raw.fromFile } : {}),
        ...(raw.budgetUsd !== undefined ? { budgetUsd: raw.budgetUsd } : {}),
        ...(raw.rate !== undefined ? { rate: raw.rate } : {}),
        ...(raw.stages !== undefined ? { stages: raw.stages } : {}),
        ...(raw.duration !== undefined ? { duration: raw.duration } : {}),
        arrival: raw.arrival as RunOptionsInput['arrival'],
        dropAfter: raw.dropAfter,
      };
      const progress = progressReporter(io, logger);
      logger.info({ redis: redactUrl(config.redisUrl), prefix: config.redisPrefix }, 'producer starting');
      // Closed (its spans flushed) before the command returns, whatever happens.
      const telemetry = await startTelemetry({ serviceName: 'loadgen-producer', env: config });
      try {
        // Loaded here, not at the top: other `loadgen` processes (workers) need not carry the generator.
        const { createRun } = await import('./create-run.js');
        const result = await createRun(options, {
          telemetry: telemetry.bullmq,
          redisUrl: config.redisUrl,
          prefix: config.redisPrefix,
          llm,
          logger,
          onProgress: progress.update,
          onPlan: (plan) => {
            if (!raw.json) {
              io.stdout.write(`${formatPlan(plan)}\n`);
            }
          },
        });
        progress.stop();
        if (raw.json) {
          const { jobs: _jobs, followed, ...summary } = result;
          if (followed) {
            Object.assign(summary, {
              status: followed.state.status,
              stopReason: followed.state.stopReason ?? null,
              results: followed.results,
              ...(followed.decided
                ? { removedJobs: followed.decided.removedJobs, ...followed.decided.savings }
                : {}),
            });
          }
          io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        } else if (result.dryRun) {
          io.stdout.write(`dry run: nothing enqueued; query set in ${result.outFile}\n`);
        } else {
          io.stdout.write(
            result.created
              ? `enqueued ${result.plan.queries} jobs for run ${result.runId}\n`
              : `run ${result.runId} existed: its jobs were added only where missing\n`,
          );
          if (result.followed) {
            io.stdout.write(
              result.followed.decided
                ? `${formatDecidedStop(result.followed)}\n`
                : `run ${result.runId} ended ${result.followed.state.status} with ${result.followed.results} results\n`,
            );
          }
        }
      } finally {
        progress.stop();
        await telemetry.close();
      }
    });
}
