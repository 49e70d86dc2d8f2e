import {
  buildReadout,
  loadExperiments,
  renderHtml,
  type Experiment,
  type Readout,
} from '../readout/index.js';
import type { ReadoutBuilder } from './app.js';

/**
 * The experiment readout for the dashboard: the same `buildReadout` and `renderHtml` as `loadgen report`,
 * seeded with the run's seed so the page, the API and the CLI show the same numbers for the same records.
 * Experiments are read once, at start, so a bad experiments file stops the dashboard with its message.
 */
export function readoutBuilder(experiments: readonly Experiment[] = loadExperiments()): ReadoutBuilder {
  return {
    build: ({ state, records }) => buildReadout({ records, run: state, experiments, seed: state.meta.seed }),
    renderHtml: (readout) => withNavigation(renderHtml(readout as Readout), (readout as Readout).run.runId),
  };
}

/** The readout is a standalone document; in the dashboard it gets a way back to its run and the runs list. */
function withNavigation(page: string, runId: string | null): string {
  const back = runId
    ? `<a href="/runs/${encodeURIComponent(runId)}">← run ${runId.replace(/[^\w-]/g, '')}</a> · `
    : '';
  return page.replace(/<body([^>]*)>/, `<body$1><nav class="muted">${back}<a href="/">all runs</a></nav>`);
}
