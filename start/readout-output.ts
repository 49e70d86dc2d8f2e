import { writeFile } from 'node:fs/promises';
import type { ResultRecord } from '../shared/result-record.js';
import { buildReadout, type Readout, type Experiment, renderHtml, renderText } from '../readout/index.js';
import type { RunStore } from '../shared/runs.js';
import type { StartOptions } from './options.js';

/** Writes the readout to `--json` and `--html` files when asked; returns the lines saying where. */
export async function writeReadoutFiles(
  readout: Readout,
  options: Pick<StartOptions, 'json' | 'html'>,
): Promise<string[]> {
  const lines: string[] = [];
  if (options.json) {
    await writeFile(options.json, JSON.stringify(readout, null, 2) + '\n');
    lines.push(`readout JSON: ${options.json}`);
  }
  if (options.html) {
    await writeFile(options.html, renderHtml(readout));
    lines.push(`HTML report: ${options.html}`);
  }
  return lines;
}

/**
 * Called on Ctrl-C once the run is enqueued: the readout of what is recorded so far (as `report` would print it),
 * also written to `--json`/`--html`, so an interrupted run still says where it stood.
 */
export async function printPartialSummary(
  store: RunStore,
  runId: string,
  experiments: readonly Experiment[],
  options: Pick<StartOptions, 'json' | 'html' | 'seed'>,
  say: (line: string) => void,
): Promise<Readout | undefined> {
  const state = await store.get(runId);
  if (!state) {
    return undefined;
  }
  const records: ResultRecord[] = await store.allResults(runId);
  const readout = buildReadout({ records, run: state, experiments, seed: options.seed });
  say(`\ninterrupted: partial summary of ${runId} (${records.length} results recorded)\n`);
  say(renderText(readout));
  for (const line of await writeReadoutFiles(readout, options)) {
    say(line);
  }
  return readout;
}
