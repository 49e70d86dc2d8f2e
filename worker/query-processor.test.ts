import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../shared/chat.js';
import type { ResultRecord } from '../shared/result-record.js';
import { createLogger } from '../shared/logger.js';
import { unstartedRecord } from '../shared/runs.js';
import type { ChatCheckpoint, Checkpoint, JudgeCheckpoint } from './checkpoint-store.js';
import { JOB_STEPS } from './job-steps.js';
import {
  createQueryProcessor,
  recordBypassedFailure,
  type ProcessorDeps,
  type QueryJobView,
} from './query-processor.js';
import { StepError } from './step-error.js';

// Unit tests on plain objects: no Redis, no agent service, no LaunchDarkly SDK. The real-Redis paths are
// covered by test/worker*.test.ts.

const response: ChatResponse = {
  requestId: 'req-1',
  answer: 'TD learning bootstraps from its own estimates.',
  route: ['supervisor', 'support'],
  agents: [
    {
      agent: 'support',
      configKey: 'support-agent',
      variationKey: 'other-paid',
      version: 1,
      enabled: true,
      model: 'gpt-4o-mini',
      provider: 'openai',
      tokens: { input: 10, output: 5, total: 15 },
      durationMs: 12,
      costUsd: 0.002,
      toolCalls: [],
      trackData: {
        variationKey: 'other-paid',
        configKey: 'support-agent',
        version: 1,
        modelName: 'gpt-4o-mini',
        providerName: 'openai',
      },
    },
  ],
  totals: { tokens: { input: 10, output: 5, total: 15 }, durationMs: 12, costUsd: 0.002, unpricedModels: [] },
};
const chatDone: ChatCheckpoint = { response, latencyMs: 40 };
const verdict: JudgeCheckpoint = {
  verdict: 'positive',
  reason: 'answered',
  costUsd: 0.001,
  model: 'claude-haiku-4-5',
  cached: false,
  unpriced: false,
};
const data = {
  runId: 'r1',
  seq: 7,
  query: 'What is TD learning?',
  user: { key: 'u7', segment: 'other-paid' },
};

function job(overrides: Partial<QueryJobView> = {}): QueryJobView {
  return { id: 'r1.7', data, attemptsMade: 0, timestamp: 500, opts: { attempts: 5 }, ...overrides };
}

interface Fakes {
  saved?: Partial<Checkpoint>;
  recorded?: 'completed' | 'open';
  chat?: () => Promise<ChatResponse>;
  judge?: () => Promise<JudgeCheckpoint>;
  report?: () => Promise<void>;
  budget?: () => Promise<void>;
}

/** A processor on plain objects that note every call, and what they saw. */
function harness(fakes: Fakes = {}) {
  const calls: string[] = [];
  const records: ResultRecord[] = [];
  const pauses: number[] = [];
  const spent: number[] = [];
  const outcomes: string[] = [];
  /** Budget releases, as `jobId:costUsd` (cost `-` when the attempt did not complete). */
  const released: string[] = [];
  const saved: Checkpoint = { firstStartedAt: 1000, reported: false, ...fakes.saved };
  const counter = { inc: () => undefined };
  const deps: ProcessorDeps = {
    chat: async () => {
      calls.push('chat');
      return (fakes.chat ?? (async () => response))();
    },
    judge: {
      judge: async () => {
        calls.push('judge');
        return (fakes.judge ?? (async () => verdict))();
      },
    },
    reporter: {
      report: async (request) => {
        calls.push(`report:${request.resentKey}`);
        await fakes.report?.();
        return { feedbackEvents: 1, costEvents: 1, resent: false };
      },
    },
    checkpoints: {
      begin: async () => structuredClone(saved),
      open: async (_jobId, _runId, { start }) =>
        fakes.recorded === 'completed' ? 'completed' : start ? structuredClone(saved) : undefined,
      saveChat: async (_jobId, _runId, chat) => (saved.chat ??= chat),
      saveJudge: async (_jobId, _runId, judged) => (saved.judge ??= judged),
      retirement: (jobId) => ({ key: `checkpoint:${jobId}`, ttlMs: 1 }),
    },
    budget: {
      reserve: async () => {
        calls.push('budget');
        await fakes.budget?.();
        return { usd: 0.01, spendUsd: 0, reservedUsd: 0 };
      },
      release: async (_runId, jobId, _segment, completed) => {
        released.push(`${jobId}:${completed?.costUsd ?? '-'}`);
        if (completed) {
          expect(completed.variations).toEqual({ 'support-agent': 'other-paid' });
        }
      },
      // Run r1 has a record (10 queries); no other run does.
      info: async (runId) => ({
        budgetUsd: null,
        total: runId === 'r1' ? 10 : null,
        plannedUsd: { bySegment: {}, perRequest: 0 },
      }),
    },
    runs: {
      ensure: async () => false,
      recordResult: async (record) => {
        calls.push(`record:${record.status}`);
        records.push(record);
        return true;
      },
      recordResultCounted: async (record, expire) => {
        calls.push(`record:${record.status}`);
        records.push(record);
        if (expire) {
          calls.push('retire');
        }
        return { added: true, results: records.length };
      },
      recordUnstarted: async (runId, jobId, reason, jobData) => {
        calls.push('record:unstarted');
        records.push(unstartedRecord(runId, jobId, reason, jobData));
        return true;
      },
      addSpend: async (_runId, usd) => {
        spent.push(usd);
        return usd;
      },
    },
    resentKey: (runId) => `resent:${runId}`,
    metrics: {
      jobs: { inc: ({ outcome }) => void outcomes.push(outcome) },
      active: { inc: () => undefined, dec: () => undefined },
      chatLatency: { observe: () => undefined },
      spend: counter,
      verdicts: counter,
      events: counter,
      resent: counter,
      observeCompleted: () => undefined,
    },
    logger: createLogger({ level: 'silent' }),
    output: () => undefined,
    rateLimit: async (ms) => {
      pauses.push(ms);
    },
  };
  return { deps, process: createQueryProcessor(deps), calls, records, pauses, spent, outcomes, released };
}

describe('query processor steps', () => {
  it('declares chat, judge, report and record, each with how it runs, checkpoints and fails', () => {
    expect(JOB_STEPS.map((s) => s.name)).toEqual(['chat', 'judge', 'report', 'record']);
    for (const step of JOB_STEPS) {
      expect([step.runs, step.checkpoints, step.fails].every((text) => text.length > 10)).toBe(true);
    }
  });

  it('runs every step of a fresh job in order and records it completed', async () => {
    const h = harness();
    const outcome = await h.process(job());
    expect(h.calls).toEqual(['budget', 'chat', 'judge', 'report:resent:r1', 'record:completed', 'retire']);
    expect(outcome).toEqual({ jobId: 'r1.7', verdict: 'positive', costUsd: 0.002 });
    expect(h.records[0]).toMatchObject({
      status: 'completed',
      seq: 7,
      feedback: 'positive',
      queueWaitMs: 500,
    });
    expect(h.outcomes).toEqual(['completed']);
  });

  it.each([
    ['chat', { chat: chatDone }, ['judge', 'report:resent:r1', 'record:completed', 'retire']],
    ['judge', { chat: chatDone, judge: verdict }, ['report:resent:r1', 'record:completed', 'retire']],
    ['report', { chat: chatDone, judge: verdict, reported: true }, ['record:completed', 'retire']],
  ])('resumes after the %s step an earlier attempt saved', async (_step, saved, expected) => {
    const h = harness({ saved });
    await h.process(job({ attemptsMade: 1 }));
    expect(h.calls).toEqual(expected);
    expect(h.records[0]).toMatchObject({ status: 'completed', attempts: 2, latencyMs: 40 });
  });

  it('does nothing for a job whose completed result is recorded', async () => {
    const h = harness({ recorded: 'completed' });
    expect(await h.process(job())).toMatchObject({ alreadyRecorded: true });
    expect(h.calls).toEqual([]);
  });
});

describe('query processor retry policy', () => {
  const retryable = () => new StepError('agent service: HTTP 500', 'retryable', { status: 500 });

  it('retries a retryable failure without a record while attempts remain', async () => {
    const h = harness({ chat: () => Promise.reject(retryable()) });
    await expect(h.process(job())).rejects.toThrow(StepError);
    expect(h.records).toEqual([]);
    expect(h.outcomes).toEqual(['retried']);
  });

  it('fails a retryable failure on the final attempt, keeping the chat it paid for', async () => {
    const h = harness({ judge: () => Promise.reject(retryable()) });
    const error = await h.process(job({ attemptsMade: 4 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(h.records[0]).toMatchObject({ status: 'failed', attempts: 5, requestCostUsd: 0.002 });
    expect(h.records[0]?.error).toContain('HTTP 500');
    expect(h.outcomes).toEqual(['failed']);
  });

  it.each([0, 4])('pauses the queue for a rate limit and uses no attempt (attemptsMade %i)', async (made) => {
    const limited = new StepError('429', 'rate-limited', { status: 429, retryAfterMs: 2500 });
    const h = harness({ chat: () => Promise.reject(limited) });
    await expect(h.process(job({ attemptsMade: made }))).rejects.toThrow();
    expect(h.pauses).toEqual([2500]);
    expect(h.records).toEqual([]);
    expect(h.outcomes).toEqual(['rate_limited']);
  });

  it.each([
    ['a fatal step error (agent_disabled)', () => new StepError('agent_disabled', 'fatal', { status: 503 })],
    ['the budget guard', () => new UnrecoverableError('budget exhausted')],
  ])('fails at once on %s: a failed record, and an UnrecoverableError', async (_name, make) => {
    const h = harness({ budget: () => Promise.reject(make()) });
    await expect(h.process(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(h.calls).toEqual(['budget', 'record:failed']);
    expect(h.records[0]).toMatchObject({ status: 'failed', requestCostUsd: 0, attempts: 1 });
  });

  it('fails at once with a configuration error from the judge', async () => {
    const h = harness({
      judge: () => Promise.reject(new StepError('judge configuration error', 'fatal', { status: 401 })),
    });
    await expect(h.process(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(h.records[0]).toMatchObject({ status: 'failed', error: 'judge configuration error' });
  });

  it("adds what a failed step had spent to the run's spend", async () => {
    const failure = new StepError('judge 500', 'retryable', { status: 500, spentUsd: 0.004 });
    const h = harness({ judge: () => Promise.reject(failure) });
    await expect(h.process(job())).rejects.toThrow('judge 500');
    expect(h.spent).toEqual([0.004]);
  });

  it('records a job BullMQ failed for stalling without running it', async () => {
    const h = harness({ saved: { chat: chatDone } });
    await recordBypassedFailure(h.deps, job(), new Error('job stalled more than allowable limit'));
    expect(h.records[0]).toMatchObject({ status: 'failed', latencyMs: 40 });
    await recordBypassedFailure(h.deps, job(), new Error('some other failure'));
    expect(h.records).toHaveLength(1);
  });
});

describe('query processor budget reservations', () => {
  const retryable = () => new StepError('agent service: HTTP 500', 'retryable', { status: 500 });

  it('releases the reservation once per attempt: with the job cost on success, without on failure', async () => {
    const ok = harness();
    await ok.process(job());
    // Chat 0.002 plus the judge's 0.001.
    expect(ok.released).toHaveLength(1);
    expect(Number(ok.released[0]?.split(':')[1])).toBeCloseTo(0.003, 9);

    const retried = harness({ chat: () => Promise.reject(retryable()) });
    await expect(retried.process(job())).rejects.toThrow(StepError);
    const failed = harness({ judge: () => Promise.reject(retryable()) });
    await expect(failed.process(job({ attemptsMade: 4 }))).rejects.toThrow(StepError);
    const paused = harness({
      chat: () => Promise.reject(new StepError('429', 'rate-limited', { status: 429, retryAfterMs: 10 })),
    });
    await expect(paused.process(job())).rejects.toThrow();
    const refused = harness({ budget: () => Promise.reject(new UnrecoverableError('budget exhausted')) });
    await expect(refused.process(job())).rejects.toBeInstanceOf(UnrecoverableError);
    for (const h of [retried, failed, paused, refused]) {
      expect(h.released).toEqual(['r1.7:-']);
    }
  });

  it('releases what a dead attempt may hold: when the job is found recorded, and when BullMQ fails it stalled', async () => {
    const recorded = harness({ recorded: 'completed' });
    await recorded.process(job({ attemptsMade: 1 }));
    expect(recorded.released).toEqual(['r1.7:-']);

    const stalled = harness({ saved: { chat: chatDone } });
    await recordBypassedFailure(stalled.deps, job(), new Error('job stalled more than allowable limit'));
    expect(stalled.released).toEqual(['r1.7:-']);
  });
});

describe('query processor on invalid jobs', () => {
  it('fails a malformed job once with a failed record naming the field, so its run finishes', async () => {
    const h = harness();
    const bad = { ...data, user: { key: 'u7', country: 'Germany', segment: 'other-paid' } };
    await expect(h.process(job({ data: bad }))).rejects.toThrow(/invalid query job: user\.country:/);
    expect(h.calls).toEqual(['record:unstarted']);
    expect(h.records[0]).toMatchObject({
      jobId: 'r1.7',
      runId: 'r1',
      seq: 7,
      status: 'failed',
      userKey: 'u7',
      segment: 'other-paid',
      attempts: 0,
      requestCostUsd: 0,
    });
    expect(h.outcomes).toEqual(['failed']);
  });

  it('rejects an unknown top-level field of 5 MB, naming it, and keeps the reason small', async () => {
    const h = harness();
    const huge = { ...data, attachment: 'x'.repeat(5 * 1024 * 1024) };
    const error = (await h.process(job({ data: huge })).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe('invalid query job: attachment: unknown field');
    expect(h.records[0]?.error).toBe('invalid query job: attachment: unknown field');
    expect(JSON.stringify(h.records[0]).length).toBeLessThan(2000);
  });

  it('caps a reason that quotes a huge unknown field name', async () => {
    const h = harness();
    const error = (await h
      .process(job({ data: { ...data, ['k'.repeat(100_000)]: 1 } }))
      .catch((e: unknown) => e)) as Error;
    expect(error.message.length).toBeLessThan(200);
    expect(h.records[0]?.error?.length).toBeLessThan(200);
  });

  it('fails a job without a readable run id with no record (there is no run to count it)', async () => {
    const h = harness();
    await expect(h.process(job({ id: 'x', data: { runId: 'bad id!', seq: 1 } }))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(h.process(job({ id: 'gone.3', data: { seq: 1 } }))).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect(h.records).toEqual([]);
  });

  it('records a job whose data has no run id under the run its id names, when that run exists', async () => {
    const h = harness();
    await expect(h.process(job({ data: { query: 'no run id' } }))).rejects.toThrow(/runId:/);
    expect(h.records[0]).toMatchObject({ jobId: 'r1.7', runId: 'r1', seq: 7, status: 'failed', userKey: '' });
  });
});
