import { createRun, type RunDeps } from '../producer/index.js';
import type { StartRun } from './runs-api.js';

/** What the dashboard's own configuration adds to every request. */
export interface StartRunSettings {
  /** The knowledge base (KB_DIR) of the dashboard's environment; the shipped `kb/` when absent. */
  kbDir?: string | undefined;
}

/**
 * `POST /api/runs` through the producer's `createRun`, in the dashboard's process, with its Redis, LLM
 * settings and knowledge base. The answer carries the plan, not the query set (which can be large: the jobs
 * are in the queue).
 */
export function producerStartRun(deps: RunDeps, settings: StartRunSettings = {}): StartRun {
  return async (request) => {
    const options = settings.kbDir === undefined ? request : { ...request, kbDir: settings.kbDir };
    const run = await createRun(options, deps);
    return { runId: run.runId, created: run.created, plan: run.plan, harnessCostUsd: run.harnessCostUsd };
  };
}
