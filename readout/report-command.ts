import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../shared/errors.js';
import type { ResultRecord } from '../shared/result-record.js';
import type { RunState } from '../shared/runs.js';
import { buildReadout } from './build-readout.js';
import { checkExitCode, EXIT_CRITERIA_NOT_MET, EXIT_INCONCLUSIVE } from './check-exit-code.js';
import { cannotWrite, collect, getRun, withRunStore, write, type ReadoutIo } from './command-io.js';
import { loadExperiments, selectExperiments } from './experiments.js';
import { parseOptions, ReportOptionsSchema, type ReportOptions } from './options.js';
import { readResultsJsonl } from './read-jsonl.js';
import { renderHtml } from './render-html.js';
import { renderText } from './render-text.js';

/** Registers `loadgen report`. */
export function registerReportCommand(program: Command, ctx: ReadoutIo): void {
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
      await report(parseOptions(ReportOptionsSchema, { ...raw, runId }), ctx);
    });
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
