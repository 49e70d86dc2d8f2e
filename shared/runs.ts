import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ResultRecordSchema, type ResultRecord } from './result-record.js';
import type { RedisKeys } from './redis.js';
import { LuaScript } from './lua-script.js';

export const RUN_MODES = ['SIMULATED', 'LIVE'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** `paused`: `loadgen pause` took the run's waiting jobs out of the queue until `loadgen resume`. */
export const RUN_STATUSES = ['enqueued', 'paused', 'done', 'stopped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What the producer records about a run when it enqueues it; never holds a secret. */
export const RunMetaSchema = z.object({
  runId: z.string(),
  createdAt: z.number().int(),
  seed: z.number().int(),
  /** `UNKNOWN` for a run a worker recorded from its first job (enqueued by a script without a run record). */
  mode: z.enum([...RUN_MODES, 'UNKNOWN']),
  /** The producer options the run was made with (counts, mix, PII rate, …). */
  options: z.record(z.string(), z.unknown()),
  budgetUsd: z.number().positive().nullable(),
  counts: z.object({
    queries: z.number().int().nonnegative(),
    pii: z.number().int().nonnegative(),
    bySegment: z.record(z.string(), z.number().int().nonnegative()),
    byComplexity: z.record(z.string(), z.number().int().nonnegative()),
  }),
  /**
   * The planner's request cost, USD per request (priced models only), of a request served the dearest
   * variations it may get: per segment, and the dearest over the run. Workers reserve it from the budget before
   * a request (whose variations are not known yet). Absent for runs enqueued without a plan.
   */
  costEstimate: z
    .object({
      perRequestUsd: z.number().nonnegative(),
      bySegment: z.record(z.string(), z.number().nonnegative()),
    })
    .optional(),
  /** What generating the queries cost (LLM calls), USD. */
  harnessCostUsd: z.number().nonnegative().default(0),
  /**
   * llm-sim's latency setting when the run was made (asked by the producer): `zero` under `--zero-latency`,
   * when the readout does not evaluate latency criteria. Absent for live runs or when the simulator was not asked.
   */
  llmSim: z.object({ latency: z.enum(['zero', 'profile']) }).optional(),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

/**
 * HSETNX the record and log its job id; when the run has a size (a run of unknown size has 0 queries) and then
 * has a result per query and is still enqueued, mark it done. Returns whether it was added and the run's result
 * count after it.
 */
const RECORD_RESULT = new LuaScript(
  'loadgenRecordResultCounted',
  3,
  `
local added = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
local results = redis.call('HLEN', KEYS[2])
if added == 1 then
  redis.call('RPUSH', KEYS[3], ARGV[1])
  local queries = tonumber(redis.call('HGET', KEYS[1], 'queries') or '')
  if queries and queries > 0 and results >= queries and redis.call('HGET', KEYS[1], 'status') == 'enqueued' then
    redis.call('HSET', KEYS[1], 'status', 'done')
  end
end
return {added, results}`,
);

/** Records a run from a job's run id when it has no record yet: meta once (HSETNX), status and index with it. */
const ENSURE_RUN_SCRIPT = `
if redis.call('HSETNX', KEYS[1], 'meta', ARGV[2]) == 1 then
  redis.call('HSET', KEYS[1], 'status', 'enqueued')
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return 1
end
return 0`;

export interface RunState {
  meta: RunMeta;
  status: RunStatus;
  stopReason?: string;
  /** Request plus harness spend recorded by workers, USD. */
  spendUsd: number;
}

/**
 * Run records in Redis: `run:<id>` is a hash (`meta` JSON written once, `status`, `stopReason`),
 * `run:<id>:results` a hash of result records by job id, `run:<id>:spend` a float counter, and `runs` a
 * sorted set of run ids by creation time. Every write is idempotent or atomic, so any process may make it.
 */
export class RunStore {
  private readonly known = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    RECORD_RESULT.define(redis);
  }

  /** Records a run; an existing run with the same id is left as it is (returns false). */
  async create(meta: RunMeta): Promise<boolean> {
    const created = await this.redis.hsetnx(
      this.keys.run(meta.runId),
      'meta',
      JSON.stringify(RunMetaSchema.parse(meta)),
    );
    if (created === 1) {
      await this.redis
        .multi()
        .hset(this.keys.run(meta.runId), { status: 'enqueued', queries: String(meta.counts.queries) })
        .zadd(this.keys.runs(), meta.createdAt, meta.runId)
        .exec();
    }
    return created === 1;
  }

  /**
   * Makes sure a run has a record, creating one (atomically, once, whoever calls first) from the run id alone
   * when it has none: so a run enqueued by any BullMQ script shows in `report`, `export`, the dashboard and
   * `/api/runs`. Its size is unknown (0 queries; never marked done by a count), its mode `UNKNOWN`. Runs seen
   * by this store are remembered, so a worker asks Redis once per run. Returns whether this call created it.
   */
  async ensure(runId: string, now = Date.now()): Promise<boolean> {
    if (this.known.has(runId)) {
      return false;
    }
    const meta: RunMeta = RunMetaSchema.parse({
      runId,
      createdAt: now,
      seed: 1,
      mode: 'UNKNOWN',
      options: { source: 'job', note: 'recorded by a worker from the first job of a run without a record' },
      budgetUsd: null,
      counts: { queries: 0, pii: 0, bySegment: {}, byComplexity: {} },
    });
    const created = await this.redis.eval(
      ENSURE_RUN_SCRIPT,
      2,
      this.keys.run(runId),
      this.keys.runs(),
      runId,
      JSON.stringify(meta),
      String(now),
    );
    if (this.known.size >= 1000) {
      this.known.clear();
    }
    this.known.add(runId);
    return created === 1;
  }

  /**
   * Sets the status from one of `from` to `to` (atomic); returns whether it was changed. `stopReason` is kept
   * with a stop.
   */
  async transition(
    runId: string,
    from: readonly RunStatus[],
    to: RunStatus,
    stopReason?: string,
  ): Promise<boolean> {
    const changed = await this.redis.eval(
      `local status = redis.call('HGET', KEYS[1], 'status')
for i = 3, #ARGV do
  if status == ARGV[i] then
    redis.call('HSET', KEYS[1], 'status', ARGV[1])
    if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'stopReason', ARGV[2]) end
    return 1
  end
end
return 0`,
      1,
      this.keys.run(runId),
      to,
      stopReason ?? '',
      ...from,
    );
    return changed === 1;
  }

  async get(runId: string): Promise<RunState | undefined> {
    const [fields, spend] = await Promise.all([
      this.redis.hgetall(this.keys.run(runId)),
      this.redis.get(this.keys.runSpend(runId)),
    ]);
    if (!fields.meta) {
      return undefined;
    }
    const state: RunState = {
      meta: RunMetaSchema.parse(JSON.parse(fields.meta)),
      status: (fields.status as RunStatus | undefined) ?? 'enqueued',
      spendUsd: spend ? Number(spend) : 0,
    };
    if (fields.stopReason) {
      state.stopReason = fields.stopReason;
    }
    return state;
  }

  /** Run ids, newest first. */
  async list(limit = 100): Promise<string[]> {
    return this.redis.zrevrange(this.keys.runs(), 0, limit - 1);
  }

  async setStatus(runId: string, status: RunStatus, stopReason?: string): Promise<void> {
    const fields: Record<string, string> = { status };
    if (stopReason) {
      fields.stopReason = stopReason;
    }
    await this.redis.hset(this.keys.run(runId), fields);
  }

  /**
   * Stops the run with `stopReason` only while it is still `enqueued` (atomic): a run that finished or that
   * something else stopped meanwhile keeps its status and reason. Returns whether this call stopped it.
   */
  async stopIfEnqueued(runId: string, stopReason: string): Promise<boolean> {
    const stopped = await this.redis.eval(
      `if redis.call('HGET', KEYS[1], 'status') == 'enqueued' then
  redis.call('HSET', KEYS[1], 'status', 'stopped', 'stopReason', ARGV[1])
  return 1
end
return 0`,
      1,
      this.keys.run(runId),
      stopReason,
    );
    return stopped === 1;
  }

  /** Adds to the run's spend and returns the new total (atomic across workers). */
  async addSpend(runId: string, usd: number): Promise<number> {
    return Number(await this.redis.incrbyfloat(this.keys.runSpend(runId), usd));
  }

  /**
   * Stores a job's result once; a second record for the same job id is ignored (returns false). The result
   * that completes the run marks it `done` (unless it was stopped), atomically, whichever worker records it.
   */
  async recordResult(record: ResultRecord): Promise<boolean> {
    return (await this.recordResultCounted(record)).added;
  }

  /**
   * `recordResult`, also returning the run's result count just after it (this record included), and, when
   * `expire` is given, giving that key a new time to live (ms) in the same round trip, after the record: a
   * worker ends a job with one write to Redis instead of three (record, checkpoint expiry, count).
   */
  async recordResultCounted(
    record: ResultRecord,
    expire?: { key: string; ttlMs: number },
  ): Promise<{ added: boolean; results: number }> {
    const args = [
      this.keys.run(record.runId),
      this.keys.runResults(record.runId),
      this.keys.runResultLog(record.runId),
      record.jobId,
      JSON.stringify(ResultRecordSchema.parse(record)),
    ];
    let reply: unknown;
    if (expire) {
      const pipeline = this.redis.pipeline();
      RECORD_RESULT.queue(pipeline, ...args);
      pipeline.pexpire(expire.key, expire.ttlMs);
      const replies = await pipeline.exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed?.[0]) {
        throw failed?.[0] ?? new Error('Redis pipeline was aborted');
      }
      reply = replies[0]?.[1];
    } else {
      reply = await RECORD_RESULT.run(this.redis, ...args);
    }
    const [added, results] = reply as [number, number];
    return { added: added === 1, results };
  }

  /**
   * Records a failed result for a job that will never run (it failed validation, was removed or dropped), so
   * the run still gets one record per job and finishes, and the readout counts it. `data` is what is readable
   * of the job's data (its `seq` and `user`, when they are well formed); without it the seq comes from the job
   * id (`<runId>.<seq>`). Does nothing if the job already has a record. Returns whether it recorded one.
   */
  recordUnstarted(runId: string, jobId: string, reason: string, data?: unknown): Promise<boolean> {
    return this.recordResult(unstartedRecord(runId, jobId, reason, data));
  }

  /**
   * Records `removed` results for jobs taken out of the queue before they started (`reason` says by whom), for
   * runs that have a record; ids without a run (`<runId>.<seq>`) or of an unknown run are skipped. Returns the
   * ids recorded now (a job that already had a record keeps it).
   */
  async recordRemoved(ids: readonly string[], reason = REMOVED, runId?: string): Promise<string[]> {
    const recorded: string[] = [];
    const runs = new Map<string, Promise<boolean>>();
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      await Promise.all(
        batch.map(async (jobId) => {
          const run = runId ?? runIdOfJob(jobId);
          if (!run) {
            return;
          }
          if (!runs.has(run)) {
            runs.set(run, this.has(run));
          }
          if ((await runs.get(run)) && (await this.recordUnstarted(run, jobId, reason))) {
            recorded.push(jobId);
          }
        }),
      );
    }
    return recorded;
  }

  /** Whether the run has a record. */
  async has(runId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.run(runId), 'meta')) === 1;
  }

  /** Which of these job ids a pause set aside (in the same order). */
  async setAside(runId: string, jobIds: readonly string[]): Promise<boolean[]> {
    if (jobIds.length === 0) {
      return [];
    }
    const values = await this.redis.hmget(pausedJobsKey(this.keys, runId), ...jobIds);
    return values.map((v) => v !== null);
  }

  /** Which of these job ids have a result record (in the same order). */
  async recorded(runId: string, jobIds: readonly string[]): Promise<boolean[]> {
    if (jobIds.length === 0) {
      return [];
    }
    const values = await this.redis.hmget(this.keys.runResults(runId), ...jobIds);
    return values.map((v) => v !== null);
  }

  async resultCount(runId: string): Promise<number> {
    return this.redis.hlen(this.keys.runResults(runId));
  }

  /**
   * Every result record of a run, once each, read in pages so a large run does not block Redis. (HSCAN may
   * return a field twice while the hash grows during a live run, so ids already seen are skipped.)
   */
  async *results(runId: string, pageSize = 1000): AsyncGenerator<ResultRecord> {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, entries] = await this.redis.hscan(this.keys.runResults(runId), cursor, 'COUNT', pageSize);
      cursor = next;
      for (let i = 0; i + 1 < entries.length; i += 2) {
        const jobId = entries[i] as string;
        if (!seen.has(jobId)) {
          seen.add(jobId);
          yield ResultRecordSchema.parse(JSON.parse(entries[i + 1] as string));
        }
      }
    } while (cursor !== '0');
  }

  /**
   * The job ids recorded from position `from` of the run's result log on, in the order they were recorded: a
   * job whose failed record a retry replaced is in it twice. (Runs recorded before the log existed have
   * records that are not in it.)
   */
  recordedSince(runId: string, from: number): Promise<string[]> {
    return this.redis.lrange(this.keys.runResultLog(runId), from, -1);
  }

  /** How many records the run's result log holds. */
  resultLogLength(runId: string): Promise<number> {
    return this.redis.llen(this.keys.runResultLog(runId));
  }

  /** The result records of these job ids that exist, fetched `pageSize` at a time. */
  async resultsOf(runId: string, jobIds: readonly string[], pageSize = 1000): Promise<ResultRecord[]> {
    const records: ResultRecord[] = [];
    for (let i = 0; i < jobIds.length; i += pageSize) {
      const values = await this.redis.hmget(this.keys.runResults(runId), ...jobIds.slice(i, i + pageSize));
      for (const value of values) {
        if (value !== null) {
          records.push(ResultRecordSchema.parse(JSON.parse(value)));
        }
      }
    }
    return records;
  }

  async allResults(runId: string): Promise<ResultRecord[]> {
    const records: ResultRecord[] = [];
    for await (const record of this.results(runId)) {
      records.push(record);
    }
    return records;
  }
}

/** The error of a result record for an open-model job that could not start within its grace period. */
export const DROPPED = 'dropped';
/** The error (or its first word, `removed: …`) of a result record for a job taken out of the queue unstarted. */
export const REMOVED = 'removed';

/**
 * Why a failed job never ran, from its record's error: `dropped` (open model, k6's dropped iterations) or
 * `removed` (taken out of the queue by `loadgen stop`, Bull Board or a script); undefined for any other record.
 * The readout and the summaries count these apart from failures, as k6 counts dropped iterations.
 */
export function notRunReason(
  record: Pick<ResultRecord, 'status' | 'error'>,
): 'dropped' | 'removed' | undefined {
  if (record.status !== 'failed' || record.error === undefined) {
    return undefined;
  }
  if (record.error === DROPPED) {
    return 'dropped';
  }
  return record.error === REMOVED || record.error.startsWith(`${REMOVED}:`) ? 'removed' : undefined;
}

/** Longest reason kept in a result record: a reason quoting hostile job data stays small. */
const MAX_REASON_CHARS = 1000;

/** Where `loadgen pause` sets a run's jobs aside (job id → name, data, options) until `loadgen resume`. */
export function pausedJobsKey(keys: Pick<RedisKeys, 'run'>, runId: string): string {
  return `${keys.run(runId)}:paused`;
}

/** The run a job id names (`<runId>.<seq>`, the job id rule), or undefined for an id of another form. */
export function runIdOfJob(jobId: string): string | undefined {
  return /^([A-Za-z0-9_-]{1,64})\.\d+$/.exec(jobId)?.[1];
}

/** The failed result record of a job that never ran: no chat, no verdict, nothing spent. */
export function unstartedRecord(
  runId: string,
  jobId: string,
  reason: string,
  data?: unknown,
  now = Date.now(),
): ResultRecord {
  const fields = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const user = (typeof fields.user === 'object' && fields.user !== null ? fields.user : {}) as Record<
    string,
    unknown
  >;
  const seqFromId = Number(/\.(\d+)$/.exec(jobId)?.[1] ?? -1);
  const seq = Number.isSafeInteger(fields.seq) ? (fields.seq as number) : seqFromId;
  const record: ResultRecord = {
    jobId,
    runId,
    seq,
    status: 'failed',
    userKey: typeof user.key === 'string' ? user.key.slice(0, 256) : '',
    variations: {},
    served: [],
    route: [],
    tokens: { input: 0, output: 0, total: 0 },
    requestCostUsd: 0,
    unpricedModels: [],
    harnessCostUsd: 0,
    feedback: null,
    attempts: 0,
    error: reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason,
    finishedAt: now,
  };
  if (typeof user.segment === 'string' && user.segment.length <= 64) {
    record.segment = user.segment;
  }
  return record;
}
