import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Env } from '../shared/config.js';
import type { ResultRecord } from '../shared/jobs.js';
import { loadManifest } from '../shared/manifest.js';
import { defaultPrices } from '../shared/pricing.js';
import { TOKEN_ESTIMATES } from '../shared/cost-estimate.js';
import { buildReadout, type Readout } from '../shared/readout/build-readout.js';
import { loadExperiments, selectExperiments, type Experiment } from '../shared/readout/experiments.js';
import { DEFAULT_PII_SHARE, planExperiment } from '../shared/readout/plan.js';
import { csvHeader, csvRow } from './csv.js';
import { readResultsJsonl } from '../shared/readout/read-jsonl.js';
import { ReadoutError } from '../shared/readout/readout-error.js';
import { renderHtml } from '../shared/readout/render-html.js';
import { renderPlanText } from '../shared/readout/render-plan.js';
import { renderText } from '../shared/readout/render-text.js';
import { checkRedis, createRedis, RedisKeys } from '../shared/redis.js';
import { expectedSizes, formatSizes, queriesFor } from '../shared/run-sizing.js';
import { RunStore, type RunState } from '../shared/runs.js';
import { parseSegmentMix } from '../producer/options.js';
import { checkSegmentMix } from '../producer/users.js';
import { ConfigError } from '../shared/errors.js';
import { loadConfig, type ReadoutConfig } from './config.js';
import {
  ExportOptionsSchema,
  parseOptions,
  PlanOptionsSchema,
  ReportOptionsSchema,
  type ExportOptions,
  type PlanOptions,
  type ReportOptions,
} from './options.js';

/** Exit code of `report --check` when an experiment fails, is futile or invalid (1 stays "an error"). */
export const EXIT_CRITERIA_NOT_MET = 3;
/** Exit code of `report --check` when no experiment fails but one is inconclusive (not enough data yet). */
export const EXIT_INCONCLUSIVE = 4;

/** Where the commands write and what they read; tests pass their own. */
export interface ReadoutIo {
  stdout: Writable;
  stderr: Writable;
  env: Env;
  setExitCode(code: number): void;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Registers `loadgen report`, `loadgen export` and `loadgen plan`. */
export function registerReadoutCommands(program: Command, io: Partial<ReadoutIo> = {}): void {
  const ctx: ReadoutIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    ...io,
  };

  program
    .command('report')
    .description(
      'Read out the experiments of a run: per-user metrics per arm, each criterion with its figure and ' +
        'pass/fail, and the decision. Reads the run from Redis (REDIS_URL, REDIS_PREFIX), or an export with --input',
    )
    .argument('[runId]', 'the run to read from Redis')
    .option('--input <file>', 'analyse a `loadgen export` JSONL file instead of Redis')
    .option('--json', 'print the readout as JSON', false)
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option(
      '--check',
      `exit ${EXIT_CRITERIA_NOT_MET} when an experiment fails, is futile or invalid; else ${EXIT_INCONCLUSIVE} when one ` +
        'is inconclusive (not enough data yet); 0 when every experiment qualifies',
      false,
    )
    .option('--experiment <id>', 'only this experiment (repeatable; default: all)', collect, [])
    .option('--experiments-file <file>', 'experiments definition (default: data/experiments.yaml)')
    .option(
      '--seed <n>',
      "seed of the bootstrap: the same data and seed give the same numbers (default: the run's seed, as on the " +
        'dashboard; 1 with --input)',
    )
    .action(async (runId: string | undefined, raw: Record<string, unknown>) => {
      await guarded('report', ctx, () => report(parseOptions(ReportOptionsSchema, { ...raw, runId }), ctx));
    });

  program
    .command('export')
    .description("Write a run's result records as JSONL (one record per line, in no particular order) or CSV")
    .argument('<runId>', 'the run to export')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--format <format>', 'jsonl or csv (a header row, then one flattened row per record)', 'jsonl')
    .action(async (runId: string, raw: Record<string, unknown>) => {
      await guarded('export', ctx, () =>
        exportRun(parseOptions(ExportOptionsSchema, { ...raw, runId }), ctx),
      );
    });

  program
    .command('plan')
    .description(
      'Before paying for a run: users per arm needed to detect a lift at the confidence, and the expected ' +
        'request spend from data/pricing.json and token estimates',
    )
    .option('--experiment <id>', 'only this experiment (repeatable; default: all)', collect, [])
    .option('--experiments-file <file>', 'experiments definition (default: data/experiments.yaml)')
    .option('--baseline <rate>', "control's expected positive-feedback rate per user", '0.5')
    .option(
      '--lift <fraction>',
      "relative lift to detect, 0.2 = +20% (default: the experiment's lift criterion)",
    )
    .option('--confidence <p>', "confidence (default: the experiment's)")
    .option('--power <p>', 'chance of reaching the confidence when the lift is real', '0.8')
    .option('--requests-per-user <n>', 'requests each user makes', '1')
    .option(
      '--pii-percentage <n>',
      "share of questions with personal data, as `loadgen run` makes them: the security agent's only requests",
      String(DEFAULT_PII_SHARE * 100),
    )
    .option(
      '--query-tokens <n>',
      'average question length in tokens (the cost estimate; `loadgen run` measures its own)',
      String(TOKEN_ESTIMATES.queryTokens),
    )
    .option(
      '-n, --queries <n>',
      'queries of the run to size (as `loadgen run --queries`), or auto: the fewest with which every experiment ' +
        'gets the users per arm it needs',
      '200',
    )
    .option('--segments <mix>', 'segment mix of the run, as `loadgen run --segments`', 'other-paid=1')
    .option('--json', 'print the plan as JSON', false)
    .action(async (raw: Record<string, unknown>) => {
      await guarded('plan', ctx, () => plan(parseOptions(PlanOptionsSchema, raw), ctx));
    });
}

/** Expected failures print one line and exit 1; option errors (ConfigError) and bugs go to the CLI's handler. */
async function guarded(command: string, io: ReadoutIo, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ReadoutError)) {
      throw err;
    }
    io.stderr.write(`loadgen ${command}: ${err.message}\n`);
    io.setExitCode(1);
  }
}

/** A file the user named cannot be written: one line naming it (exit 1), not a stack trace. */
function cannotWrite(path: string, err: unknown): ReadoutError {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'ENOENT'
      ? 'no such directory'
      : e.code === 'EACCES'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'is a directory'
          : e.message;
  return new ReadoutError(`cannot write ${path}: ${reason}`, { cause: err });
}

/** Opens `path` for writing, failing as a ReadoutError before anything is read when it cannot be. */
async function openOutput(path: string): Promise<WriteStream> {
  const out = createWriteStream(path);
  try {
    await once(out, 'open');
  } catch (err) {
    throw cannotWrite(path, err);
  }
  return out;
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) {
    if (stream.destroyed) {
      // A failed stream never drains.
      throw stream.errored ?? new Error('the output was closed');
    }
    await once(stream, 'drain');
  }
}

/** Opens the run store for one command and always closes its connection. */
async function withRunStore<T>(
  env: Env,
  fn: (store: RunStore, config: ReadoutConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig(env);
  await checkRedis(config.REDIS_URL).catch((err: Error) => {
    throw new ReadoutError(err.message, { cause: err });
  });
  const redis = createRedis(config.REDIS_URL, {
    connectionName: `${config.REDIS_PREFIX}:readout`,
    maxRetriesPerRequest: 1,
  });
  try {
    return await fn(new RunStore(redis, new RedisKeys(config.REDIS_PREFIX)), config);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

async function getRun(store: RunStore, runId: string, config: ReadoutConfig): Promise<RunState> {
  const run = await store.get(runId);
  if (!run) {
    throw new ReadoutError(
      `run "${runId}" not found (REDIS_PREFIX=${config.REDIS_PREFIX}); see the runs on the dashboard`,
    );
  }
  return run;
}

async function report(options: ReportOptions, io: ReadoutIo): Promise<void> {
  if (Boolean(options.runId) === Boolean(options.input)) {
    throw new ConfigError(
      'report: give either a run id (read from Redis) or --input FILE (an export), not both',
    );
  }
  const experiments = selectExperiments(loadExperiments(options.experimentsFile), options.experiment);
  let records: ResultRecord[];
  let run: RunState | undefined;
  if (options.input) {
    records = await readResultsJsonl(options.input);
  } else {
    const runId = options.runId as string;
    [records, run] = await withRunStore(io.env, async (store, config) => {
      const state = await getRun(store, runId, config);
      return [await store.allResults(runId), state] as const;
    });
  }
  const seed = options.seed ?? run?.meta.seed ?? 1;
  const readout = buildReadout({ records, experiments, seed, ...(run ? { run } : {}) });
  if (options.html) {
    const html = options.html;
    await writeFile(html, renderHtml(readout)).catch((err: unknown) => {
      throw cannotWrite(html, err);
    });
  }
  if (options.json) {
    await write(io.stdout, JSON.stringify(readout, null, 2) + '\n');
  } else {
    await write(io.stdout, renderText(readout) + (options.html ? `\nHTML report: ${options.html}\n` : ''));
  }
  if (options.check) {
    const code = checkExitCode(readout);
    if (code !== 0) {
      io.setExitCode(code);
    }
  }
}

/**
 * The exit code of `--check` (`report` and `start`): {@link EXIT_CRITERIA_NOT_MET} when an experiment fails, is
 * futile or invalid, else {@link EXIT_INCONCLUSIVE} when one is inconclusive, else 0.
 */
export function checkExitCode(readout: Pick<Readout, 'experiments'>): number {
  const states = new Set(readout.experiments.map((exp) => exp.state));
  if (states.has('fails') || states.has('futile') || states.has('invalid')) {
    return EXIT_CRITERIA_NOT_MET;
  }
  return states.has('inconclusive') ? EXIT_INCONCLUSIVE : 0;
}

async function exportRun(options: ExportOptions, io: ReadoutIo): Promise<void> {
  await withRunStore(io.env, async (store, config) => {
    await getRun(store, options.runId, config);
    const file = options.output ? await openOutput(options.output) : undefined;
    const out = file ?? io.stdout;
    // A failure after opening (disk full) must not be an unhandled 'error' event: `write` rethrows it.
    file?.on('error', () => {});
    let written = 0;
    let chunk = options.format === 'csv' ? csvHeader() : '';
    try {
      for await (const record of store.results(options.runId)) {
        chunk += options.format === 'csv' ? csvRow(record) : JSON.stringify(record) + '\n';
        written++;
        // Batch lines so a large export is a few hundred writes, not one per record.
        if (chunk.length > 1 << 16) {
          await write(out, chunk);
          chunk = '';
        }
      }
      await write(out, chunk);
      if (file) {
        file.end();
        await once(file, 'finish');
      }
    } catch (err) {
      throw file?.errored && options.output ? cannotWrite(options.output, file.errored) : err;
    } finally {
      if (file) {
        file.destroy();
        if (!file.closed) {
          await once(file, 'close').catch(() => {});
        }
      }
    }
    if (options.output) {
      await write(
        io.stdout,
        `exported ${written} result records of run ${options.runId} to ${options.output}\n`,
      );
    }
  });
}

/** The plan's own checks (e.g. a lift that pushes the rate past 100%) are option errors: exit 2. */
function planOrExplain(input: Parameters<typeof planExperiment>[0]): ReturnType<typeof planExperiment> {
  try {
    return planExperiment(input);
  } catch (err) {
    throw new ConfigError(`plan ${input.experiment.id}: ${(err as Error).message}`, { cause: err });
  }
}

async function plan(options: PlanOptions, io: ReadoutIo): Promise<void> {
  const experiments = selectExperiments(loadExperiments(options.experimentsFile), options.experiment);
  const manifest = loadManifest();
  const prices = defaultPrices();
  const plans = experiments.map((experiment) => ({
    name: experiment.name,
    plan: planOrExplain({
      experiment,
      baselineRate: options.baseline,
      power: options.power,
      requestsPerUser: options.requestsPerUser,
      queryTokens: options.queryTokens,
      piiShare: options.piiPercentage / 100,
      manifest,
      prices,
      ...(options.lift !== undefined ? { lift: options.lift } : {}),
      ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
    }),
  }));
  const segments = parseSegmentMix(options.segments);
  checkSegmentMix(manifest, segments);
  const shape = {
    segments,
    piiShare: options.piiPercentage / 100,
    requestsPerUser: options.requestsPerUser,
  };
  const needs = plans.map((p, i) => ({
    experiment: experiments[i] as Experiment,
    usersPerArm: p.plan.usersPerArm,
  }));
  const queries = options.queries === 'auto' ? queriesFor(needs, shape) : options.queries;
  const sizes = expectedSizes(needs, queries, shape);
  if (options.json) {
    await write(
      io.stdout,
      JSON.stringify(
        plans.map((p, i) => ({ ...p.plan, run: { queries, ...sizes[i] } })),
        null,
        2,
      ) + '\n',
    );
    return;
  }
  await write(
    io.stdout,
    plans.map((p) => renderPlanText(p.plan, p.name)).join('\n') +
      `\n${formatSizes(sizes, queries)}\nprices checked ${prices.checked}\n`,
  );
}
