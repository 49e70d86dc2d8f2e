import type { BenchLine } from './bench-table.js';
import type { CpuUse } from './cpu-meter.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';

type Common = Pick<PipelineOptions, 'redisUrl' | 'eventsUrl' | 'cpuProfDir'>;

/**
 * A failed job is a result record too, so it would count as throughput (and a failing agent service is fast):
 * any failure makes the line an ERROR, its figure kept for the reader.
 */
export function withFailures(failed: number, line: BenchLine): BenchLine {
  if (failed === 0 || line.error !== undefined) {
    return line;
  }
  return {
    ...line,
    error: `${failed.toLocaleString('en-US')} job(s) failed: the figure counts them as done`,
  };
}

/**
 * (2) Throughput: producer -> worker (one process, concurrency 50, as the ceiling) -> agent service ->
 * llm-sim answering at once. Timed from the producer's start to the last result record; compared with (1).
 */
export async function measureThroughput(
  common: Common,
  ceilingJobsPerSecond: number | null,
  jobs = 5000,
): Promise<BenchLine> {
  const pipeline = await Pipeline.start({
    ...common,
    prefix: 'bench',
    simLatencyMs: 0,
    workers: [50],
    label: 'throughput',
  });
  try {
    const runId = 'bench-throughput';
    const meter = await pipeline.meterCpu();
    const started = performance.now();
    await pipeline.produce(runId, jobs);
    await pipeline.waitForResults(runId, jobs);
    const seconds = (performance.now() - started) / 1000;
    const cpu = await meter.stop('producer');
    const jobsPerSecond = jobs / seconds;
    const failed = await pipeline.failedResults(runId);
    return withFailures(failed, {
      id: 2,
      name: `pipeline throughput at zero LLM latency, ${jobs.toLocaleString('en-US')} jobs, ratio to (1)`,
      value: ceilingJobsPerSecond ? jobsPerSecond / ceilingJobsPerSecond : null,
      unit: 'ratio',
      target: { op: '>=', value: 0.05 },
      details: {
        'jobs/s': jobsPerSecond,
        seconds,
        'failed jobs': failed,
        'LLM calls/job': (await pipeline.simRequests()) / jobs,
        ...cpuDetails(cpu, jobs),
      },
      ...(ceilingJobsPerSecond ? {} : { error: 'no ceiling (1) to compare with' }),
    });
  } finally {
    await pipeline.stop();
  }
}

/**
 * Where a job's CPU goes, per process kind (workers summed), and the throughput the machine's cores would
 * allow at that cost if nothing else ran: when (2) is near it, the pipeline is CPU-bound, not badly shaped.
 */
export function cpuDetails(cpu: CpuUse, jobs: number): Record<string, number> {
  const perJob: Record<string, number> = {};
  for (const [name, ms] of Object.entries(cpu.processes)) {
    const kind = name.replace(/-\d+$/, 's');
    perJob[kind] = (perJob[kind] ?? 0) + ms / jobs;
  }
  const total = Object.values(perJob).reduce((a, b) => a + b, 0);
  const details: Record<string, number> = {};
  for (const [kind, ms] of Object.entries(perJob).sort((a, b) => b[1] - a[1])) {
    details[`CPU ms/job ${kind}`] = ms;
  }
  details['CPU ms/job total'] = total;
  details['machine busy %'] = cpu.machineBusy * 100;
  details[`CPU-bound jobs/s (${cpu.cores} cores)`] = total > 0 ? (cpu.cores * 1000) / total : 0;
  return details;
}

/**
 * (3) Efficiency at a fixed LLM latency: every llm-sim call takes `latencyMs`, total concurrency 200 (two
 * workers of 100). A job's LLM calls are sequential, so no schedule can beat (calls x latency / concurrency);
 * the figure is that ideal over the measured time, producer start to last result.
 */
export async function measureEfficiency(
  common: Common,
  jobs = 4000,
  latencyMs = 500,
  workers = [100, 100],
): Promise<BenchLine> {
  const pipeline = await Pipeline.start({
    ...common,
    prefix: 'bench',
    simLatencyMs: latencyMs,
    workers,
    label: 'efficiency',
  });
  try {
    const runId = 'bench-efficiency';
    const callsBefore = await pipeline.simRequests();
    const meter = await pipeline.meterCpu();
    const started = performance.now();
    await pipeline.produce(runId, jobs);
    await pipeline.waitForResults(runId, jobs);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuDetails(await meter.stop('producer'), jobs);
    const calls = (await pipeline.simRequests()) - callsBefore;
    const concurrency = workers.reduce((a, b) => a + b, 0);
    const idealSeconds = (calls * latencyMs) / 1000 / concurrency;
    const failed = await pipeline.failedResults(runId);
    return withFailures(failed, {
      id: 3,
      name: `efficiency at ${latencyMs} ms per LLM call, concurrency ${concurrency}, ${jobs.toLocaleString('en-US')} jobs`,
      value: idealSeconds / seconds,
      unit: 'ratio',
      target: { op: '>=', value: 0.95 },
      details: {
        'ideal s': idealSeconds,
        'measured s': seconds,
        'LLM calls/job': calls / jobs,
        'jobs/s': jobs / seconds,
        'failed jobs': failed,
        'CPU ms/job total': cpu['CPU ms/job total'] as number,
        'machine busy %': cpu['machine busy %'] as number,
      },
    });
  } finally {
    await pipeline.stop();
  }
}
