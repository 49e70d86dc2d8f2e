import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ChatResponseSchema } from '../shared/chat.js';
import { VERDICTS } from '../shared/result-record.js';
import { LuaScript } from '../shared/lua-script.js';
import type { RedisKeys } from '../shared/redis.js';

/** Step 1 done: what the agent service answered, and how long the call took end to end. */
export const ChatCheckpointSchema = z.object({
  response: ChatResponseSchema,
  latencyMs: z.number().nonnegative(),
});
export type ChatCheckpoint = z.infer<typeof ChatCheckpointSchema>;

/** Step 2 done: the judge's verdict and what judging cost (harness cost). */
export const JudgeCheckpointSchema = z.object({
  verdict: z.enum(VERDICTS),
  reason: z.string(),
  costUsd: z.number().nonnegative(),
  model: z.string(),
  cached: z.boolean(),
  /** Models the judge called that have no price (its cost is then a lower bound). */
  unpriced: z.boolean().default(false),
});
export type JudgeCheckpoint = z.infer<typeof JudgeCheckpointSchema>;

/** What is done of one job, read at the start of every attempt. */
export interface Checkpoint {
  /** When an attempt first started (ms since epoch): the end of the queue wait. */
  firstStartedAt: number;
  chat?: ChatCheckpoint;
  judge?: JudgeCheckpoint;
  /** Step 3 done: the LaunchDarkly events were delivered (the flush succeeded). */
  reported: boolean;
}

/** Checkpoints outlive their job only as a safety net; the result record is what lasts. */
const CHECKPOINT_TTL_MS = 7 * 24 * 3600 * 1000;
/** After the record: longer than any attempt that lost its lock can still run (chat at most 2,000 s, judge). */
const RECORDED_CHECKPOINT_TTL_MS = 24 * 3600 * 1000;

// Saves a step once and adds its cost to the run's spend in the same atomic script, so a job processed
// twice at once (a lost lock) can neither overwrite a saved step nor count its cost twice. The cost moves from
// the job's budget reservation (`usd|expiresAtMs`, see budget-guard.ts) to spend: never counted twice.
const SAVE_STEP = new LuaScript(
  'loadgenSaveStep',
  3,
  `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  local cost = tonumber(ARGV[3])
  if cost > 0 then
    redis.call('INCRBYFLOAT', KEYS[2], ARGV[3])
    local held = redis.call('HGET', KEYS[3], ARGV[5])
    if held then
      local usd, expires = string.match(held, '^([^|]+)|(%d+)$')
      if usd then
        local left = math.max(0, tonumber(usd) - cost)
        redis.call('HSET', KEYS[3], ARGV[5], string.format('%.17g', left) .. '|' .. expires)
      end
    end
  end
  return {1, ARGV[2]}
end
return {0, redis.call('HGET', KEYS[1], ARGV[1])}
`,
);

// Atomically: skip a job already reported; otherwise mark it as being reported by this flush, and note when
// an earlier flush had marked it and never confirmed (so a duplicate can only ever happen to a noted job, at
// most once per note: a job whose re-send is cut off again is noted again).
const CLAIM_REPORTING = new LuaScript(
  'loadgenClaimReporting',
  2,
  `
if redis.call('HGET', KEYS[1], 'reported') == '1' then
  return 'done'
end
local previous = redis.call('HGET', KEYS[1], 'reporting')
redis.call('HSET', KEYS[1], 'reporting', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if previous then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  return 'in-doubt'
end
return 'fresh'
`,
);

// An attempt's first round trip: the job's result (a completed one ends the attempt; a failed one is removed,
// so a manual retry records anew), then, unless ARGV[4] is '0' (a late arrival about to be dropped,
// which needs no checkpoint), `begin`'s transaction, all in one script.
const OPEN_JOB = new LuaScript(
  'loadgenOpenJob',
  2,
  `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  if cjson.decode(raw).status == 'completed' then
    return {'completed'}
  end
  redis.call('HDEL', KEYS[1], ARGV[1])
end
if ARGV[4] == '0' then
  return {'open'}
end
redis.call('HSETNX', KEYS[2], 'firstStartedAt', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {'open', redis.call('HGETALL', KEYS[2])}
`,
);

/**
 * Per-job checkpoints in Redis (`<prefix>:checkpoint:<jobId>`, a hash): each step of a job is saved as it
 * finishes, so a retry, or the worker that picks up a dead worker's job, skips what is done.
 */
export class CheckpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    SAVE_STEP.define(redis);
    CLAIM_REPORTING.define(redis);
    OPEN_JOB.define(redis);
  }

  key(jobId: string): string {
    return this.keys.key('checkpoint', jobId);
  }

  /** Reads a job's checkpoint, noting the first start time on the job's first attempt. */
  async begin(jobId: string, now = Date.now()): Promise<Checkpoint> {
    const key = this.key(jobId);
    const results = await this.redis
      .multi()
      .hsetnx(key, 'firstStartedAt', String(now))
      .pexpire(key, CHECKPOINT_TTL_MS)
      .hgetall(key)
      .exec();
    throwOnError(results);
    return toCheckpoint((results?.[2]?.[1] ?? {}) as Record<string, string>, now);
  }

  /**
   * An attempt's start in one round trip: `completed` when the job's run already has its completed result
   * (nothing to do), else its checkpoint as `begin` reads it (a failed result is
   * removed first, so the attempt records anew). With `start: false` (a late arrival about to be dropped) no
   * checkpoint is made and none is returned.
   */
  async open(
    jobId: string,
    runId: string,
    options: { start: boolean; now?: number },
  ): Promise<'completed' | Checkpoint | undefined> {
    const now = options.now ?? Date.now();
    const [state, flat] = (await OPEN_JOB.run(
      this.redis,
      this.keys.runResults(runId),
      this.key(jobId),
      jobId,
      String(now),
      String(CHECKPOINT_TTL_MS),
      options.start ? '1' : '0',
    )) as [string, string[] | undefined];
    if (state === 'completed') {
      return 'completed';
    }
    if (!flat) {
      return undefined;
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) {
      fields[flat[i] as string] = flat[i + 1] as string;
    }
    return toCheckpoint(fields, now);
  }

  /** Saves step 1 and adds the request cost to the run's spend; returns the chat saved first. */
  async saveChat(
    jobId: string,
    runId: string,
    chat: ChatCheckpoint,
    costUsd: number,
  ): Promise<ChatCheckpoint> {
    const value = JSON.stringify(chat);
    const stored = await this.saveStep(jobId, runId, 'chat', value, costUsd);
    // Only a chat another attempt saved first needs reading back.
    return stored === value ? chat : ChatCheckpointSchema.parse(JSON.parse(stored));
  }

  /** Saves step 2 and adds the judge's cost to the run's spend; returns the verdict saved first. */
  async saveJudge(jobId: string, runId: string, judge: JudgeCheckpoint): Promise<JudgeCheckpoint> {
    const value = JSON.stringify(judge);
    const stored = await this.saveStep(jobId, runId, 'judge', value, judge.costUsd);
    return stored === value ? judge : JudgeCheckpointSchema.parse(JSON.parse(stored));
  }

  private async saveStep(
    jobId: string,
    runId: string,
    field: string,
    value: string,
    costUsd: number,
  ): Promise<string> {
    const [, stored] = (await SAVE_STEP.run(
      this.redis,
      this.key(jobId),
      this.keys.runSpend(runId),
      this.keys.runReservations(runId),
      field,
      value,
      String(costUsd),
      String(CHECKPOINT_TTL_MS),
      jobId,
    )) as [number, string];
    return stored;
  }

  /**
   * Claims step 3 for the jobs of a flush about to be sent (one round trip). Per job: `done` when its events
   * were already delivered (send nothing), `in-doubt` when an earlier flush of it was never confirmed (it
   * failed, maybe after LaunchDarkly took the events; its worker died after sending; or another worker is
   * sending it right now: the job id is added to `resentKey`), else `fresh`.
   */
  async claimReporting(
    jobs: { jobId: string; resentKey: string }[],
    flushId: string,
  ): Promise<('fresh' | 'in-doubt' | 'done')[]> {
    const pipeline = this.redis.pipeline();
    for (const job of jobs) {
      CLAIM_REPORTING.queue(
        pipeline,
        this.key(job.jobId),
        job.resentKey,
        flushId,
        job.jobId,
        String(CHECKPOINT_TTL_MS),
      );
    }
    const results = await pipeline.exec();
    throwOnError(results);
    return (results ?? []).map(([, value]) => value as 'fresh' | 'in-doubt' | 'done');
  }

  /** Step 3 done for every job of a delivered flush (one round trip). */
  async markReported(jobIds: string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const jobId of jobIds) {
      pipeline.hset(this.key(jobId), 'reported', '1').hdel(this.key(jobId), 'reporting');
    }
    throwOnError(await pipeline.exec());
  }

  /**
   * How a job's checkpoint is retired once its result record is stored: its key and a shorter life (ms), sent
   * with the record (`RunStore.recordResultCounted`) in one round trip. It is kept, not deleted: an attempt
   * that lost its lock may still be running the same job, and it must find the steps saved (so its cost is not
   * added to spend again) and the job reported (so its events are not sent again).
   */
  retirement(jobId: string): { key: string; ttlMs: number } {
    return { key: this.key(jobId), ttlMs: RECORDED_CHECKPOINT_TTL_MS };
  }
}

/** A checkpoint from its hash's fields; `now` stands for a first start not noted yet. */
function toCheckpoint(fields: Record<string, string>, now: number): Checkpoint {
  const checkpoint: Checkpoint = {
    firstStartedAt: Number(fields.firstStartedAt ?? now),
    reported: fields.reported === '1',
  };
  if (fields.chat) {
    checkpoint.chat = ChatCheckpointSchema.parse(JSON.parse(fields.chat));
  }
  if (fields.judge) {
    checkpoint.judge = JudgeCheckpointSchema.parse(JSON.parse(fields.judge));
  }
  return checkpoint;
}

/** A pipeline or transaction reports errors per command instead of throwing: surface the first one. */
function throwOnError(results: [Error | null, unknown][] | null): void {
  if (!results) {
    throw new Error('Redis transaction was aborted');
  }
  const failed = results.find(([err]) => err);
  if (failed?.[0]) {
    throw failed[0];
  }
}
