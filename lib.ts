/**
 * The scripting API of loadgen (`import { LoadgenClient } from 'loadgen'`): register a run, enqueue validated
 * query jobs, wait for their results, read the experiment readout, and stop, pause or resume a run. Workers
 * (`loadgen worker`, `loadgen start`) process the jobs; this module only talks to Redis.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { enqueueJobs } from './producer/index.js';
import { describeZodError } from './shared/errors.js';
import { QUERY_QUEUE, QueryJobSchema, type QueryJob } from './shared/query-job.js';
import type { ResultRecord } from './shared/result-record.js';
import { bullConnection, createRedis, RedisKeys } from './shared/redis.js';
import { buildReadout, type Readout, loadExperiments, selectExperiments } from './readout/index.js';
import { pauseRun, resumeRun, stopRun, type ControlOutcome } from './shared/run-control.js';
import { RunReconciler } from './shared/run-reconciler.js';
import { RunMetaSchema, RunStore, type RunMeta, type RunState } from './shared/runs.js';

export {
  QUERY_JOB_NAME,
  QUERY_JOB_OPTIONS,
  QUERY_QUEUE,
  QueryJobSchema,
  queryJobId,
} from './shared/query-job.js';
export { ResultRecordSchema } from './shared/result-record.js';
export type { QueryJob } from './shared/query-job.js';
export type { ResultRecord, Verdict } from './shared/result-record.js';
export type { UserContext } from './shared/user-context.js';
export type { RunMeta, RunState, RunStatus } from './shared/runs.js';
export type { Readout, ExperimentReadout, RunSummary } from './readout/index.js';
export type { ControlOutcome } from './shared/run-control.js';

export interface LoadgenClientOptions {
  /** Redis URL the workers use (default: REDIS_URL, else redis://127.0.0.1:6379). */
  redisUrl?: string;
  /** REDIS_PREFIX of the workers (default: REDIS_PREFIX, else `loadgen`). */
  prefix?: string;
}

export interface CreateRunInput {
  runId: string;
  /** How many jobs the run will have: the run is marked done when that many results are recorded. */
  queries: number;
  mode?: 'SIMULATED' | 'LIVE';
  seed?: number;
  /** Spend limit, USD: workers refuse the run's jobs once it is reached. */
  budgetUsd?: number | null;
  /** Anything worth keeping with the run (shown on the dashboard). */
  options?: Record<string, unknown>;
}

export interface WaitOptions {
  /** Results to wait for (default: the run's `queries`, or until it is done or stopped). */
  count?: number;
  /** Give up after this long (ms) with an error; default: wait as long as it takes. */
  timeoutMs?: number;
  pollMs?: number;
  /** Called (and awaited) after each poll with the run's result count and state: a script's progress line. */
  onProgress?: (results: number, state: RunState | undefined) => void | Promise<void>;
}

/** A job whose data does not match {@link QueryJobSchema}: the message names the first bad field. */
export class InvalidJobError extends Error {}

/** A connection to loadgen's Redis; {@link LoadgenClient.close} when done. */
export class LoadgenClient {
  readonly queue: Queue;
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly store: RunStore;

  constructor(options: LoadgenClientOptions = {}) {
    const url = options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = options.prefix ?? process.env.REDIS_PREFIX ?? 'loadgen';
    this.redis = createRedis(url, { connectionName: 'loadgen-lib' });
    this.keys = new RedisKeys(prefix);
    this.store = new RunStore(this.redis, this.keys);
    this.queue = new Queue(QUERY_QUEUE, { connection: bullConnection(url, 'loadgen-lib-queue'), prefix });
  }

  /** Records a run before its jobs (optional: a worker records a run it does not know, without a size). */
  async createRun(input: CreateRunInput): Promise<boolean> {
    const meta: RunMeta = RunMetaSchema.parse({
      runId: input.runId,
      createdAt: Date.now(),
      seed: input.seed ?? 1,
      mode: input.mode ?? 'SIMULATED',
      options: { source: 'script', ...input.options },
      budgetUsd: input.budgetUsd ?? null,
      counts: { queries: input.queries, pii: 0, bySegment: {}, byComplexity: {} },
    });
    return this.store.create(meta);
  }

  /** Validates every job, then adds them (job id `${runId}.${seq}`: adding one that exists does nothing). */
  async enqueue(jobs: readonly QueryJob[]): Promise<void> {
    const valid = jobs.map((job, i) => {
      const parsed = QueryJobSchema.safeParse(job);
      if (!parsed.success) {
        throw new InvalidJobError(`job ${i}: ${describeZodError(parsed.error)}`);
      }
      return parsed.data;
    });
    await enqueueJobs(this.queue, valid, { chunkSize: 500 });
  }

  /** The run's record and status, or undefined when it has none. */
  run(runId: string): Promise<RunState | undefined> {
    return this.store.get(runId);
  }

  /**
   * Waits until the run has `count` results (or is done or stopped) and returns its result records. It never
   * waits on a job that cannot end: when results stop coming, jobs of the run that left the queue without a
   * record (removed while no worker listened) are recorded `removed`, and a run with no job left to end is
   * marked done, as `loadgen start` does.
   */
  async waitForResults(runId: string, options: WaitOptions = {}): Promise<ResultRecord[]> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const reconciler = new RunReconciler(this.queue, this.store, runId);
    // The first pass learns the run's job ids while they are in the queue.
    await reconciler.pass();
    let last = -1;
    for (;;) {
      const [state, results] = await Promise.all([this.store.get(runId), this.store.resultCount(runId)]);
      const target =
        options.count ?? (state && state.meta.counts.queries > 0 ? state.meta.counts.queries : 0);
      await options.onProgress?.(results, state);
      const ended = state?.status === 'done' || state?.status === 'stopped';
      if ((target > 0 && results >= target) || ended) {
        return this.store.allResults(runId);
      }
      if (Date.now() > deadline) {
        throw new Error(`run ${runId}: ${results} results after ${options.timeoutMs} ms`);
      }
      if (state?.status === 'enqueued' && results === last && (await reconciler.settle(results))) {
        continue;
      }
      last = results;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  }

  /** The readout of the run's experiments (data/experiments.yaml, or `experimentsFile`), as `loadgen report --json`. */
  async readout(
    runId: string,
    options: { experiments?: string[]; experimentsFile?: string; seed?: number } = {},
  ): Promise<Readout> {
    const state = await this.store.get(runId);
    if (!state) {
      throw new Error(`run "${runId}" not found`);
    }
    const experiments = selectExperiments(
      loadExperiments(options.experimentsFile),
      options.experiments ?? [],
    );
    const records = await this.store.allResults(runId);
    return buildReadout({ records, run: state, experiments, seed: options.seed ?? state.meta.seed });
  }

  /** Stops the run (as `loadgen stop`): jobs not started are removed; with `wait`, returns when in-flight ones end. */
  stop(
    runId: string,
    reason = 'stopped by a script',
    options: { wait?: boolean } = {},
  ): Promise<ControlOutcome> {
    return stopRun(this.controlDeps(), runId, reason, options);
  }

  /** Pauses the run (as `loadgen pause`). */
  pause(runId: string): Promise<ControlOutcome> {
    return pauseRun(this.controlDeps(), runId);
  }

  /** Resumes a paused run (as `loadgen resume`). */
  resume(runId: string): Promise<ControlOutcome> {
    return resumeRun(this.controlDeps(), runId);
  }

  /** Closes the queue and the Redis connection; safe to call twice. */
  async close(): Promise<void> {
    await this.queue.close().catch(() => {});
    if (this.redis.status !== 'end') {
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }

  private controlDeps() {
    return { store: this.store, queue: this.queue, redis: this.redis, keys: this.keys };
  }
}
