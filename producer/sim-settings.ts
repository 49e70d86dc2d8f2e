import type { Logger } from '../shared/logger.js';
import type { RunMeta } from '../shared/runs.js';

/**
 * Asks llm-sim (`GET /v1/sim/settings`) for its latency setting, for the run record: under `--zero-latency`
 * the agents' durations measure only this machine's queueing, and the readout says so instead of judging a
 * latency criterion on them. Best effort: a simulator that does not answer within 2 s leaves the field out
 * (the readout then judges latency as usual) with a warning.
 */
export async function simulatorSettings(simUrl: string, logger?: Logger): Promise<RunMeta['llmSim']> {
  const url = `${simUrl.replace(/\/+$/, '')}/v1/sim/settings`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { latency?: unknown };
    if (res.ok && (body.latency === 'zero' || body.latency === 'profile')) {
      return { latency: body.latency };
    }
    logger?.warn({ status: res.status }, 'llm-sim gave no latency setting: the run does not record it');
  } catch (err) {
    logger?.warn({ err }, 'cannot ask llm-sim for its latency setting: the run does not record it');
  }
  return undefined;
}
