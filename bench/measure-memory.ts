import { freePort } from '../shared/net.js';
import type { BenchLine } from './bench-table.js';
import type { PipelineOptions } from './pipeline.js';
import { Pipeline } from './pipeline.js';

type Common = Pick<PipelineOptions, 'redisUrl' | 'eventsUrl' | 'cpuProfDir'>;

/** `loadgen_worker_active_jobs` from the worker's /metrics. */
async function activeJobs(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const match = /^loadgen_worker_active_jobs(?:\{[^}]*\})? (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * (5) Peak RSS (VmHWM) of one worker process at concurrency 1,000 holding 1,000 requests in flight: llm-sim
 * takes `latencyMs` per call, so every job is still waiting on the agent service when the last one starts.
 * Read after the whole run, so the peak covers taking the jobs, waiting, and handling the 1,000 answers.
 */
export async function measureMemory(common: Common, jobs = 1000, latencyMs = 4000): Promise<BenchLine> {
  const metricsPort = await freePort();
  const pipeline = await Pipeline.start({
    ...common,
    prefix: 'bench',
    simLatencyMs: latencyMs,
    workers: [jobs],
    workerEnv: () => ({ WORKER_METRICS_PORT: String(metricsPort), WORKER_METRICS_HOST: '127.0.0.1' }),
    label: 'memory',
  });
  try {
    const worker = pipeline.workers[0];
    if (!worker) {
      throw new Error('no worker process');
    }
    const runId = 'bench-memory';
    const idleMb = await worker.peakRssMb();
    await pipeline.produce(runId, jobs);
    let maxActive = 0;
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const results = pipeline.waitForResults(runId, jobs);
    let finished = false;
    void results.finally(() => (finished = true)).catch(() => {});
    while (!finished) {
      maxActive = Math.max(maxActive, await activeJobs(metricsUrl));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await results;
    const peakMb = await worker.peakRssMb();
    return {
      id: 5,
      name: `peak RSS of one worker process holding ${jobs.toLocaleString('en-US')} requests in flight`,
      value: peakMb,
      unit: 'MB',
      target: { op: '<=', value: 300 },
      details: { 'most jobs in flight': maxActive, 'RSS before jobs MB': idleMb },
      ...(maxActive < jobs ? { error: `only ${maxActive} of ${jobs} jobs were ever in flight at once` } : {}),
    };
  } finally {
    await pipeline.stop();
  }
}
