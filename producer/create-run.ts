import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Queue, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { arrivalOffsets, scheduleFrom } from '../shared/arrivals.js';
import { ConfigError } from '../shared/errors.js';
import { QUERY_QUEUE, type QueryJob } from '../shared/query-job.js';
import { loadKnowledgeBase } from '../shared/kb/index.js';
import type { LlmSettings } from '../shared/llm/index.js';
import type { Logger } from '../shared/logger.js';
import { loadManifest, type Manifest } from '../shared/manifest.js';
import { packageRoot } from '../shared/paths.js';
import { defaultPrices, type PriceTable } from '../shared/pricing.js';
import { bullConnection, checkRedis, createRedis, RedisKeys } from '../shared/redis.js';
import {
  everyExperimentDecided,
  followRun,
  type FollowRunOutcome,
  loadExperiments,
  selectExperiments,
  type Experiment,
  defaultNeeds,
  queriesFor,
  sizesFromJobs,
  type ExperimentNeed,
} from '../readout/index.js';
import { RunStore, type RunMeta, type RunMode } from '../shared/runs.js';
import { enqueueJobs } from './enqueue.js';
import { OptionError, ProducerError } from './errors.js';
import { generateQueries } from './generate.js';
import { simulatorSettings } from './sim-settings.js';
import { createJsonModel, defaultGenerationModel, type JsonModel } from './llm-json.js';
import { MAX_QUERIES, parseRunOptions, type RunOptions, type RunOptionsInput } from './options.js';
import { countJobs, estimateCost, type RunPlan } from './run-plan.js';
import { readQuerySet, writeQuerySet } from './query-set.js';
import { RedisTopicCache, type TopicCache } from './topic-cache.js';
import { hasProviderKey, loadTopics, MIN_TOPICS, resolveTopicMethod } from './topic-source.js';
import { checkSegmentMix } from './users.js';

export type RunPhase = 'topics' | 'questions' | 'enqueue' | 'results';

export interface RunDeps {
  /** Redis for the queue and run records; required unless `dryRun`. */
  redisUrl?: string | undefined;
  /** Key prefix of queues and run records (REDIS_PREFIX); default `loadgen`. */
  prefix?: string | undefined;
  /** Provider keys and LLM_SIM_URL; without any, the run is SIMULATED and uses no LLM. */
  llm?: LlmSettings | undefined;
  logger?: Logger | undefined;
  /** The AI Config manifest (default `data/manifest.yaml`): segments and what each would be served. */
  manifest?: Manifest | undefined;
  prices?: PriceTable | undefined;
  /** Called once the query set is known, before anything is enqueued. */
  onPlan?: ((plan: RunPlan) => void) | undefined;
  onProgress?: ((phase: RunPhase, done: number, total: number) => void) | undefined;
  /** Experiments a `stopWhenDecided` run reads out (default `data/experiments.yaml`). */
  experiments?: readonly Experiment[] | undefined;
  /** Clock for `createdAt` (tests). */
  now?: (() => number) | undefined;
  /** BullMQ's telemetry (`startTelemetry(...).bullmq`): a trace per job from its enqueue on. */
  telemetry?: Telemetry | undefined;
}

export interface RunResult {
  runId: string;
  plan: RunPlan;
  /** The query set (also written to `outFile` when one was asked for, or on a dry run). */
  jobs: QueryJob[];
  outFile?: string;
  dryRun: boolean;
  /** False when a run with this id existed: its metadata was kept and only missing jobs were added. */
  created: boolean;
  /** USD spent on LLM calls making the query set. */
  harnessCostUsd: number;
  /** With `stopWhenDecided`: how the run ended (followed until done or stopped). */
  followed?: FollowRunOutcome;
}

/** `run-20261101-142233-k3x9`: sortable by time, unique enough, and valid as a BullMQ job id prefix. */
export function generateRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** SIMULATED when LLM_SIM_URL is set or no provider key is; LIVE otherwise. */
export function runMode(llm: LlmSettings): RunMode {
  return llm.simUrl || !hasProviderKey(llm) ? 'SIMULATED' : 'LIVE';
}

interface QuerySetOutcome {
  jobs: QueryJob[];
  source: RunPlan['source'];
  costUsd: number;
}

async function generatedSet(
  options: RunOptions,
  queries: number,
  runId: string,
  seed: number,
  deps: RunDeps,
  manifest: Manifest,
  cache: TopicCache | undefined,
): Promise<QuerySetOutcome> {
  const llm = deps.llm ?? {};
  const kbDir = options.kbDir ?? join(packageRoot, 'kb');
  const kb = await loadKnowledgeBase(kbDir, deps.logger ? { logger: deps.logger } : {});
  const method = resolveTopicMethod(options.topics, llm);
  let model: JsonModel | undefined;
  if (method === 'llm') {
    if (!llm.simUrl && !hasProviderKey(llm)) {
      throw new OptionError(
        '--topics llm needs a provider key (OPENAI_API_KEY, ANTHROPIC_API_KEY or MISTRAL_API_KEY) or LLM_SIM_URL',
      );
    }
    model = createJsonModel(
      llm,
      options.model ?? defaultGenerationModel(llm),
      deps.prices ?? defaultPrices(),
    );
  }
  deps.onProgress?.('topics', 0, 1);
  const topics = await loadTopics({
    chunks: kb.chunks,
    kbHash: kb.hash,
    method,
    model,
    cache,
    concurrency: options.concurrency,
    logger: deps.logger,
  });
  deps.onProgress?.('topics', 1, 1);
  if (topics.topics.length === 0) {
    throw new ProducerError(`no topics could be extracted from the knowledge base in ${kb.dir}`);
  }
  if (topics.topics.length < MIN_TOPICS) {
    deps.logger?.warn(
      { topics: topics.topics.length, kb: kb.dir },
      `only ${topics.topics.length} topics in the knowledge base (fewer than ${MIN_TOPICS}): questions will repeat subjects`,
    );
  }
  const generated = await generateQueries({
    runId,
    seed,
    count: queries,
    piiPercentage: options.piiPercentage,
    mix: options.segments,
    users: options.users,
    topics: topics.topics,
    chunks: kb.chunks,
    manifest,
    model,
    concurrency: options.concurrency,
    logger: deps.logger,
    onProgress: (done, total) => deps.onProgress?.('questions', done, total),
  });
  if (generated.llmFailures > 0) {
    deps.logger?.warn(
      { failures: generated.llmFailures },
      'some questions came from templates after LLM failures',
    );
  }
  return {
    jobs: generated.jobs,
    costUsd: topics.costUsd + generated.costUsd,
    source: {
      kind: 'generated',
      topics: topics.topics.length,
      topicMethod: topics.method,
      topicsCached: topics.cached,
      questions: model ? `llm (${model.model})` : 'templates',
      templateFallbacks: generated.llmFailures,
      kbHash: kb.hash,
    },
  };
}

async function fileSet(options: RunOptions, path: string): Promise<{ runId: string; jobs: QueryJob[] }> {
  const jobs = await readQuerySet(path);
  const ids = new Set(jobs.map((j) => j.runId));
  // Replaying a saved set keeps its run id unless told otherwise; a mixed file gets a new one.
  const runId = options.runId ?? (ids.size === 1 ? [...ids][0] : undefined) ?? generateRunId();
  return { runId, jobs: jobs.map((j) => (j.runId === runId ? j : { ...j, runId })) };
}

/**
 * Makes a run: loads the knowledge base, extracts grounded topics, generates the query set (or reads one with
 * `fromFile`), reports the plan, records the run in Redis and enqueues one job per query with `addBulk`.
 * With `dryRun` it stops after writing the query set. Re-running a run id adds no jobs that exist.
 *
 * Throws `OptionError` (a `ConfigError`) for a bad option (named), `ConfigError` for a bad setting (a
 * missing or empty knowledge-base folder, a missing key) and `ProducerError` for an unreadable query file or
 * an unreachable Redis (URL without password).
 */
export async function createRun(input: RunOptionsInput, deps: RunDeps = {}): Promise<RunResult> {
  const options = parseRunOptions(input);
  const manifest = deps.manifest ?? loadManifest();
  checkSegmentMix(manifest, options.segments);
  if (options.dryRun) {
    return makeRun(options, deps, manifest, undefined);
  }
  if (!deps.redisUrl) {
    throw new ConfigError('createRun needs deps.redisUrl (REDIS_URL) unless dryRun is set');
  }
  const url = deps.redisUrl;
  const prefix = deps.prefix ?? 'loadgen';
  // Before anything is generated (and, in LLM mode, paid for): a run that cannot be enqueued should not spend.
  try {
    await checkRedis(url);
  } catch (err) {
    throw new ProducerError((err as Error).message, { cause: err });
  }
  const redis = createRedis(url, { connectionName: `${prefix}:producer` });
  try {
    return await makeRun(options, deps, manifest, { url, prefix, redis });
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** The Redis a run is recorded and enqueued in (absent on a dry run). */
interface RunRedis {
  url: string;
  prefix: string;
  redis: Redis;
}

async function makeRun(
  options: RunOptions,
  deps: RunDeps,
  manifest: Manifest,
  conn: RunRedis | undefined,
): Promise<RunResult> {
  const prices = deps.prices ?? defaultPrices();
  const llm = deps.llm ?? {};
  const seed = options.seed ?? randomInt(0, 0x7fffffff);
  const mode = runMode(llm);
  const needs = defaultNeeds(deps.experiments ?? loadExperiments());
  const schedule = scheduleFrom({
    arrival: options.arrival,
    rate: options.rate,
    durationMs: options.duration,
    stages: options.stages,
  });
  // Open model: the schedule's arrivals (offsets from the enqueue) make the query count.
  const arrivals = schedule && arrivalOffsets(schedule, seed, MAX_QUERIES);
  if (arrivals?.length === 0) {
    throw new OptionError('the arrival schedule has no arrival: raise --rate or the stage targets');
  }
  const queries = arrivals ? arrivals.length : runQueries(options, needs);
  const watched =
    options.stopWhenDecided &&
    selectExperiments(
      needs.map((n) => n.experiment),
      options.stopWhenDecided,
    );

  let runId: string;
  let set: QuerySetOutcome;
  if (options.fromFile) {
    const file = await fileSet(options, options.fromFile);
    runId = file.runId;
    set = { jobs: file.jobs, costUsd: 0, source: { kind: 'file', path: options.fromFile } };
  } else {
    runId = options.runId ?? generateRunId();
    const cache = conn && new RedisTopicCache(conn.redis, new RedisKeys(conn.prefix));
    set = await generatedSet(options, queries, runId, seed, deps, manifest, cache);
  }

  const counts = countJobs(set.jobs);
  const plan: RunPlan = {
    runId,
    mode,
    seed,
    ...counts,
    source: set.source,
    estimate: estimateCost({ manifest, prices, jobs: set.jobs }),
    harnessCostUsd: set.costUsd,
    budgetUsd: options.budgetUsd ?? null,
    sizes: sizesFromJobs(needs, set.jobs),
  };
  deps.onPlan?.(plan);

  const outFile = options.out ?? (options.dryRun ? `${runId}.queries.jsonl` : undefined);
  if (outFile) {
    await writeQuerySet(outFile, set.jobs);
    deps.logger?.info({ file: outFile, jobs: set.jobs.length }, 'query set written');
  }
  const result: RunResult = {
    runId,
    plan,
    jobs: set.jobs,
    dryRun: options.dryRun,
    created: false,
    harnessCostUsd: set.costUsd,
    ...(outFile ? { outFile } : {}),
  };
  if (!conn) {
    return result;
  }

  const llmSim = deps.llm?.simUrl ? await simulatorSettings(deps.llm.simUrl, deps.logger) : undefined;
  const meta: RunMeta = {
    runId,
    createdAt: (deps.now ?? Date.now)(),
    seed,
    mode,
    options: recordedOptions(options, plan),
    budgetUsd: options.budgetUsd ?? null,
    counts: {
      queries: counts.queries,
      pii: counts.pii,
      bySegment: counts.bySegment,
      byComplexity: counts.byComplexity,
    },
    costEstimate: perRequestEstimate(plan),
    harnessCostUsd: set.costUsd,
    ...(llmSim ? { llmSim } : {}),
  };
  const jobs = arrivals ? scheduleJobs(set.jobs, arrivals, options.dropAfter, Date.now()) : set.jobs;
  const enqueued = await enqueueRun(meta, jobs, options, watched, deps, conn);
  result.created = enqueued.created;
  if (enqueued.followed) {
    result.followed = enqueued.followed;
  }
  return result;
}

/**
 * What a worker reserves of the budget per request: per segment, the plan's cost of a request served the
 * dearest variations the segment may get (its variations are known only once the agent service answered);
 * over the run, the dearest of those.
 */
function perRequestEstimate(plan: RunPlan): NonNullable<RunMeta['costEstimate']> {
  const bySegment = Object.fromEntries(
    Object.entries(plan.estimate.bySegment).map(([segment, s]) => [segment, s.dearestUsd]),
  );
  return { perRequestUsd: Math.max(0, ...Object.values(bySegment)), bySegment };
}

/**
 * The number of questions to generate: as given, or with `auto` the fewest with which every experiment can
 * reach its planned size (`queriesFor`). `auto` assumes a fresh user per question and a generated set.
 */
/** Open model: each job is due at the enqueue time plus its arrival offset, and dropped past the grace period. */
function scheduleJobs(jobs: QueryJob[], offsets: number[], dropAfterMs: number, start: number): QueryJob[] {
  return jobs.map((job, i) => ({ ...job, scheduledAt: start + (offsets[i] ?? 0), dropAfterMs }));
}

function runQueries(options: RunOptions, needs: readonly ExperimentNeed[]): number {
  if (options.queries !== 'auto') {
    return options.queries;
  }
  if (options.users !== undefined) {
    throw new OptionError(
      '--queries auto sizes a run of one question per user: drop --users or give a number',
    );
  }
  const queries = queriesFor(needs, { segments: options.segments, piiShare: options.piiPercentage / 100 });
  if (queries > MAX_QUERIES) {
    throw new OptionError(
      `--queries auto needs ${queries} queries, more than the ${MAX_QUERIES} a run may have`,
    );
  }
  return queries;
}

/**
 * What the run metadata keeps of the options: enough to reproduce the run, never a secret. A file run keeps
 * no generation options: their defaults (200 queries, …) say nothing about a set read from a file.
 */
function recordedOptions(options: RunOptions, plan: RunPlan): Record<string, unknown> {
  if (plan.source.kind === 'file') {
    return {
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      fromFile: plan.source.path,
      ...(options.budgetUsd !== undefined ? { budgetUsd: options.budgetUsd } : {}),
      chunkSize: options.chunkSize,
      estimatedCostUsd: plan.estimate.requestsUsd,
    };
  }
  const { dryRun: _dryRun, out: _out, arrival, dropAfter, ...kept } = options;
  const open = options.rate !== undefined || options.stages !== undefined;
  return {
    ...kept,
    ...(open ? { arrival, dropAfter } : {}),
    // `auto` is recorded as the number it came to, and that it was sized.
    queries: plan.queries,
    ...(options.queries === 'auto' ? { queriesAuto: true } : {}),
    topicMethod: plan.source.topicMethod,
    questions: plan.source.questions,
    templateFallbacks: plan.source.templateFallbacks,
    kbHash: plan.source.kbHash,
    estimatedCostUsd: plan.estimate.requestsUsd,
  };
}

async function enqueueRun(
  meta: RunMeta,
  jobs: QueryJob[],
  options: RunOptions,
  /** The experiments a `stopWhenDecided` run waits for; undefined: it is not followed. */
  watched: Experiment[] | undefined,
  deps: RunDeps,
  { url, prefix, redis }: RunRedis,
): Promise<{ created: boolean; followed?: FollowRunOutcome }> {
  const queue = new Queue(QUERY_QUEUE, {
    connection: bullConnection(url, `${prefix}:producer-queue`),
    prefix,
    ...(deps.telemetry ? { telemetry: deps.telemetry } : {}),
  });
  try {
    const store = new RunStore(redis, new RedisKeys(prefix));
    const created = await store.create(meta);
    if (!created) {
      deps.logger?.warn(
        { runId: meta.runId },
        'run exists: its metadata is kept, and only jobs that are not in the queue yet are added',
      );
    }
    await enqueueJobs(queue, jobs, {
      chunkSize: options.chunkSize,
      onProgress: (done, total) => deps.onProgress?.('enqueue', done, total),
    });
    deps.logger?.info({ runId: meta.runId, jobs: jobs.length, created }, 'run enqueued');
    if (!watched) {
      return { created };
    }
    const followed = await followRun({
      store,
      queue,
      runId: meta.runId,
      decide: {
        experiments: watched,
        seed: meta.seed,
        every: options.decideEvery,
        isDecided: everyExperimentDecided,
      },
      onProgress: (results) => deps.onProgress?.('results', results, meta.counts.queries),
    });
    return { created, followed };
  } finally {
    await queue.close().catch(() => {});
  }
}
