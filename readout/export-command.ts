import { once } from 'node:events';
import type { Command } from 'commander';
import { cannotWrite, getRun, openOutput, withRunStore, write, type ReadoutIo } from './command-io.js';
import { csvHeader, csvRow } from './csv.js';
import { ExportOptionsSchema, parseOptions, type ExportOptions } from './options.js';

/** Registers `loadgen export`. */
export function registerExportCommand(program: Command, ctx: ReadoutIo): void {
  program
    .command('export')
    .description("Write a run's result records as JSONL (one record per line, in no particular order) or CSV")
    .argument('<runId>', 'the run to export')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--format <format>', 'jsonl or csv (a header row, then one flattened row per record)', 'jsonl')
    .action(async (runId: string, raw: Record<string, unknown>) => {
      await exportRun(parseOptions(ExportOptionsSchema, { ...raw, runId }), ctx);
    });
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
