import type { BenchLine } from './bench-table.js';
import { BenchProcess } from './child-process.js';
import type { CpuUse } from './cpu-meter.js';
import type { PeerArgs, PeerResult } from './peer.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';

type Common = Pick<PipelineOptions, 'redisUrl' | 'eventsUrl' | 'cpuProfDir'>;

/** The processes that are the harness; the stub and llm-sim stand in for the system under test. */
const HARNESS = ['workers', 'producer', 'redis'];

/**
 * A failed job is a result record too, so it would count as done (and a failing stub is fast): any failure
 * makes the line an ERROR, its figure kept for the reader.
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

export interface HarnessCpu {
  /** CPU ms per job of the harness: workers (summed), producer, Redis. */
  msPerJob: number;
  /** CPU ms per job per process kind (workers summed), harness first, most costly first. */
  perJob: Record<string, number>;
  /** The figures as line details. */
  details: Record<string, number>;
}

/**
 * Where a job's CPU goes, per process kind (`worker-1`, `worker-2`… summed as `workers`), split into the
 * harness (workers, producer, Redis) and the stand-ins for the system under test (stub, llm-sim).
 */
export function harnessCpu(cpu: CpuUse, jobs: number): HarnessCpu {
  const perJob: Record<string, number> = {};
  for (const [name, ms] of Object.entries(cpu.processes)) {
    const kind = name.replace(/-\d+$/, 's');
    perJob[kind] = (perJob[kind] ?? 0) + ms / jobs;
  }
  const ours = Object.entries(perJob)
    .filter(([kind]) => HARNESS.includes(kind))
    .sort((a, b) => b[1] - a[1]);
  const theirs = Object.entries(perJob)
    .filter(([kind]) => !HARNESS.includes(kind))
    .sort((a, b) => b[1] - a[1]);
  const msPerJob = ours.reduce((sum, [, ms]) => sum + ms, 0);
  const details: Record<string, number> = { 'harness CPU ms/job': msPerJob };
  for (const [kind, ms] of ours) {
    details[`CPU ms/job ${kind}`] = ms;
  }
  for (const [kind, ms] of theirs) {
    details[`(stand-in) CPU ms/job ${kind}`] = ms;
  }
  details['machine busy %'] = cpu.machineBusy * 100;
  return { msPerJob, perJob: Object.fromEntries([...ours, ...theirs]), details };
}

/** The `p`th percentile (0-100, nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** The failed jobs of a run and the worker's measured chat latency of each completed one. */
async function runResults(
  pipeline: Pipeline,
  runId: string,
): Promise<{ failed: number; latencies: number[] }> {
  let failed = 0;
  const latencies: number[] = [];
  for await (const record of pipeline.runs.results(runId)) {
    if (record.status !== 'completed') {
      failed++;
    } else if (record.latencyMs !== undefined) {
      latencies.push(record.latencyMs);
    }
  }
  return { failed, latencies };
}

/** Enqueues `jobs`, waits for every result and returns the wall time and the CPU of every process. */
async function timedRun(pipeline: Pipeline, runId: string, jobs: number) {
  const meter = await pipeline.meterCpu();
  const started = performance.now();
  await pipeline.produce(runId, jobs);
  await pipeline.waitForResults(runId, jobs);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: await meter.stop('producer') };
}

/**
 * (2) The harness's CPU per job: the stub answers `/chat` and llm-sim the judge at once, so the workers (one
 * process, concurrency 50), the producer and Redis are what works; the figure is jobs per second of harness
 * CPU (all cores counted), i.e. 1,000 / (harness CPU ms per job).
 */
export async function measureHarnessCost(common: Common, jobs = 5000): Promise<BenchLine> {
  const pipeline = await Pipeline.start({
    ...common,
    prefix: 'bench',
    simLatencyMs: 0,
    chatStubLatencyMs: 0,
    workers: [50],
    label: 'harness-cost',
  });
  try {
    const runId = 'bench-harness-cost';
    const { seconds, cpu } = await timedRun(pipeline, runId, jobs);
    const harness = harnessCpu(cpu, jobs);
    const { failed } = await runResults(pipeline, runId);
    return withFailures(failed, {
      id: 2,
      name: `harness CPU at zero stub latency, ${jobs.toLocaleString('en-US')} jobs: jobs per harness-core-second`,
      value: harness.msPerJob > 0 ? 1000 / harness.msPerJob : null,
      unit: 'jobs/core-s',
      target: { op: '>=', value: 1000 },
      details: {
        ...harness.details,
        'jobs/s': jobs / seconds,
        seconds,
        'judge calls/job': (await pipeline.simRequests()) / jobs,
        'failed jobs': failed,
      },
    });
  } finally {
    await pipeline.stop();
  }
}

export interface LatencyRunOptions {
  jobs?: number;
  /** Fixed time of the stub's `/chat` answer and of llm-sim's judge answer, ms. */
  latencyMs?: number;
  /** One worker process per entry, with that concurrency; the sum is the jobs in flight. */
  workers?: number[];
}

/**
 * (3), (7), (8), (9) from one run at a fixed stub latency, `jobs` jobs over several workers:
 * (3) efficiency: a job's calls are sequential, so no schedule beats (chat calls + judge calls) x latency /
 * concurrency; the figure is that ideal over the measured time, producer start to last result;
 * (7), (8) latency fidelity: the worker's measured chat latency over the stub's own server-side time, p50 and
 * p99 (ratio of the percentiles over the same answers);
 * (9) the peer: autocannon then drives the same stub at the same concurrency with as many requests; the figure
 * is the harness's CPU per job (one chat call each) over autocannon's CPU per request.
 */
export async function measureAtLatency(
  common: Common,
  options: LatencyRunOptions = {},
): Promise<BenchLine[]> {
  const { jobs = 5000, latencyMs = 500, workers = [250, 250, 250, 250] } = options;
  const concurrency = workers.reduce((a, b) => a + b, 0);
  const pipeline = await Pipeline.start({
    ...common,
    prefix: 'bench',
    simLatencyMs: latencyMs,
    chatStubLatencyMs: latencyMs,
    workers,
    label: 'latency',
  });
  try {
    const runId = 'bench-latency';
    const judgeBefore = await pipeline.simRequests();
    const { seconds, cpu } = await timedRun(pipeline, runId, jobs);
    const harness = harnessCpu(cpu, jobs);
    const judgeCalls = (await pipeline.simRequests()) - judgeBefore;
    const stub = await pipeline.stubStats();
    const { failed, latencies } = await runResults(pipeline, runId);
    const idealSeconds = ((stub.requests + judgeCalls) * latencyMs) / 1000 / concurrency;
    const scale = `${latencyMs} ms stub latency, ${concurrency.toLocaleString('en-US')} in flight`;
    const efficiency = withFailures(failed, {
      id: 3,
      name: `efficiency at ${scale} (${workers.length} workers), ${jobs.toLocaleString('en-US')} jobs: ideal / actual`,
      value: idealSeconds / seconds,
      unit: 'ratio',
      target: { op: '>=', value: 0.98 },
      details: {
        'ideal s': idealSeconds,
        'measured s': seconds,
        'jobs/s': jobs / seconds,
        'chat calls/job': stub.requests / jobs,
        'judge calls/job': judgeCalls / jobs,
        'failed jobs': failed,
        ...harness.details,
      },
    });
    const fidelity = (id: number, p: number): BenchLine => {
      const worker = percentile(latencies, p);
      const server = percentile(stub.serverMs, p);
      return {
        id,
        name: `latency fidelity p${p} at ${scale}: worker's chat latency / stub's server time`,
        value: worker / server,
        unit: 'ratio',
        target: { op: '<=', value: 1.02 },
        details: { [`worker p${p} ms`]: worker, [`stub p${p} ms`]: server, answers: latencies.length },
      };
    };
    const peer = await measurePeer(pipeline, concurrency, jobs, harness);
    return [efficiency, fidelity(7, 50), fidelity(8, 99), peer];
  } finally {
    await pipeline.stop();
  }
}

async function measurePeer(
  pipeline: Pipeline,
  connections: number,
  requests: number,
  harness: HarnessCpu,
): Promise<BenchLine> {
  const before = (await pipeline.stubStats()).requests;
  const body = JSON.stringify({
    message: 'How do I rotate the API key of a service account without downtime?',
    user: { key: 'peer-user-1', country: 'DE', plan: 'paid', segment: 'eu-paid' },
  });
  const args: PeerArgs = { url: pipeline.chatUrl, connections, requests, body };
  const result = await BenchProcess.peer<PeerResult>(args);
  const stub = await pipeline.stubStats();
  const server = stub.serverMs.slice(before);
  const peerMs = result.requests > 0 ? result.cpuMs / result.requests : Number.NaN;
  const workerMs = harness.perJob.workers ?? 0;
  return {
    id: 9,
    name: `peer: autocannon on the same stub, ${connections.toLocaleString('en-US')} connections: our CPU per chat call / its CPU per request`,
    value: harness.msPerJob / peerMs,
    unit: 'ratio',
    details: {
      'harness CPU ms/job': harness.msPerJob,
      'autocannon CPU ms/request': peerMs,
      'workers only / autocannon': workerMs / peerMs,
      requests: result.requests,
      'autocannon p50 / stub p50': result.latencyP50Ms / percentile(server, 50),
      'autocannon p99 / stub p99': result.latencyP99Ms / percentile(server, 99),
    },
    ...(result.failed > 0 ? { error: `${result.failed} autocannon request(s) failed` } : {}),
  };
}
