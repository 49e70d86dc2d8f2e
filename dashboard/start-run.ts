import { createRun, type RunDeps } from '../producer/index.js';
import type { StartRun } from './runs-api.js';

/**
 * `POST /api/runs` through the producer's `createRun`, in the dashboard's process, with its Redis and LLM
 * settings. The answer carries the plan, not the query set (which can be large: the jobs are in the queue).
 */
export function producerStartRun(deps: RunDeps): StartRun {
  return async (request) => {
    const run = await createRun(request, deps);
    return { runId: run.runId, created: run.created, plan: run.plan, harnessCostUsd: run.harnessCostUsd };
  };
}
