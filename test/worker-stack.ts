import { Queue, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  loadConfig as loadAgentServiceConfig,
  startAgentService,
  type AgentService,
} from '../agent-service/index.js';
import { startLlmSim, type LlmSim, type ProfileOverrides } from '../llm-sim/index.js';
import type { Env } from '../shared/config.js';
import {
  QUERY_JOB_NAME,
  QUERY_JOB_OPTIONS,
  QUERY_QUEUE,
  queryJobId,
  type QueryJob,
} from '../shared/query-job.js';
import type { ResultRecord } from '../shared/result-record.js';
import { createLogger } from '../shared/logger.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore, type RunMeta } from '../shared/runs.js';
import { EventsEndpoint, type LdEvent } from './helpers/events-endpoint.js';

/** Users spread over the manifest's segments (country and plan decide the segment). */
const USERS = [
  { country: 'US', plan: 'paid', segment: 'other-paid' },
  { country: 'US', plan: 'free', segment: 'other-free' },
  { country: 'DE', plan: 'paid', segment: 'eu-paid' },
  { country: 'FR', plan: 'free', segment: 'eu-free' },
] as const;

const QUESTIONS = [
  'What is Q-learning and how does it update its value estimates?',
  'Explain the difference between on-policy and off-policy learning.',
  'How does an epsilon-greedy policy balance exploration and exploitation?',
  'What is the Bellman equation used for in reinforcement learning?',
  'Why do policy gradient methods have high variance, and how is it reduced?',
];

/** The job data of query `seq` of a run: varied users and questions, deterministic. */
export function queryJob(runId: string, seq: number): QueryJob {
  const user = USERS[seq % USERS.length] ?? USERS[0];
  return {
    runId,
    seq,
    query: `${QUESTIONS[seq % QUESTIONS.length]} (case ${seq})`,
    user: { key: `${runId}-user-${seq % 97}`, country: user.country, plan: user.plan, segment: user.segment },
  };
}

export interface StackOptions {
  redisUrl: string;
  prefix: string;
  sim?: ProfileOverrides;
  /** Extra agent-service environment, e.g. AGENT_REQUEST_DEADLINE_MS. */
  agentEnv?: Env;
}

/**
 * What a worker needs around it, all real and in this process: llm-sim (zero latency), the agent service
 * (LaunchDarkly file data source generated from the manifest, events to the local endpoint), the local
 * LaunchDarkly events endpoint, and a queue plus run store under the test's prefix.
 */
export class WorkerStack {
  readonly keys: RedisKeys;
  readonly runs: RunStore;

  private constructor(
    readonly options: StackOptions,
    readonly sim: LlmSim,
    readonly events: EventsEndpoint,
    readonly agent: AgentService,
    readonly redis: Redis,
    readonly queue: Queue,
  ) {
    this.keys = new RedisKeys(options.prefix);
    this.runs = new RunStore(redis, this.keys);
  }

  static async start(options: StackOptions): Promise<WorkerStack> {
    const sim = await startLlmSim({
      seed: 11,
      overrides: {
        ...options.sim,
        allModels: { latency: { ttftMs: 0, perTokenMs: 0 }, ...options.sim?.allModels },
      },
    });
    const events = await EventsEndpoint.start();
    const agent = await startAgentService({
      config: loadAgentServiceConfig({
        REDIS_URL: options.redisUrl,
        REDIS_PREFIX: options.prefix,
        LLM_SIM_URL: sim.url,
        LD_EVENTS_URI: events.url,
        AGENT_STREAM: 'false',
        LOG_LEVEL: 'silent',
        ...options.agentEnv,
      }),
      logger: createLogger({ level: 'silent' }),
    });
    const redis = createRedis(options.redisUrl, { connectionName: `${options.prefix}:stack` });
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(options.redisUrl, `${options.prefix}:stack-queue`),
      prefix: options.prefix,
    });
    return new WorkerStack(options, sim, events, agent, redis, queue);
  }

  /** The environment a worker of this stack runs with (fast stall settings unless `extra` says otherwise). */
  workerEnv(extra: Env = {}): Env {
    return {
      REDIS_URL: this.options.redisUrl,
      REDIS_PREFIX: this.options.prefix,
      LLM_SIM_URL: this.sim.url,
      LD_EVENTS_URI: this.events.url,
      AGENT_SERVICE_URL: this.agent.url,
      LOG_LEVEL: 'silent',
      WORKER_METRICS_PORT: 'off',
      WORKER_LD_FLUSH_MS: '50',
      ...extra,
    };
  }

  /** Records a run (as the producer does) so the worker knows its size, budget and (`more`) cost estimate. */
  async createRun(
    runId: string,
    queries: number,
    budgetUsd: number | null = null,
    more: Partial<RunMeta> = {},
  ): Promise<void> {
    const meta: RunMeta = {
      runId,
      createdAt: Date.now(),
      seed: 1,
      mode: 'SIMULATED',
      options: {},
      budgetUsd,
      counts: { queries, pii: 0, bySegment: {}, byComplexity: {} },
      harnessCostUsd: 0,
      ...more,
    };
    await this.runs.create(meta);
  }

  /** Enqueues queries 0..n-1 of `runId` with plain BullMQ and the shared job options. */
  async enqueue(runId: string, n: number, options: JobsOptions = {}): Promise<void> {
    const jobs = Array.from({ length: n }, (_, seq) => ({
      name: QUERY_JOB_NAME,
      data: queryJob(runId, seq),
      opts: { ...QUERY_JOB_OPTIONS, ...options, jobId: queryJobId(runId, seq) },
    }));
    for (let i = 0; i < jobs.length; i += 500) {
      await this.queue.addBulk(jobs.slice(i, i + 500));
    }
  }

  /**
   * Resolves once `count` result records exist for the run (polls Redis). Fails when no new result arrives for
   * `stallMs`: progress, not wall-clock time, so a loaded machine is slower but does not fail.
   */
  async waitForResults(runId: string, count: number, stallMs = 60_000): Promise<ResultRecord[]> {
    let seen = -1;
    let deadline = 0;
    for (;;) {
      const recorded = await this.runs.resultCount(runId);
      if (recorded >= count) {
        return this.runs.allResults(runId);
      }
      if (recorded > seen) {
        seen = recorded;
        deadline = Date.now() + stallMs;
      } else if (Date.now() > deadline) {
        throw new Error(`only ${recorded} of ${count} results, none new for ${stallMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Resolves with the job once BullMQ has it in `state` (polls; bounded by `timeoutMs`). */
  async waitForState(jobId: string, state: string, timeoutMs = 15_000): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.queue.getJob(jobId);
      if (job && (await job.getState()) === state) {
        // Read again: the state may have changed after `job` was fetched, leaving it without the failure.
        return (await this.queue.getJob(jobId)) ?? job;
      }
      if (Date.now() > deadline) {
        throw new Error(`job ${jobId} did not reach ${state} within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Custom events the worker sent for a run (cost and feedback carry the job id), by event key. */
  workerEvents(runId: string): { cost: LdEvent[]; feedback: LdEvent[] } {
    const ofRun = (e: LdEvent) => typeof e.data?.jobId === 'string' && e.data.jobId.startsWith(`${runId}.`);
    return {
      cost: this.events.custom('ai_cost_per_request').filter(ofRun),
      feedback: this.events
        .custom()
        .filter((e) => e.key?.startsWith('$ld:ai:feedback:user:') === true)
        .filter(ofRun),
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit();
    await this.agent.close();
    await this.sim.close();
    await this.events.close();
  }
}

/** Job ids that occur more than once in `events` (by `data.jobId` plus config key for feedback). */
export function duplicates(events: LdEvent[]): string[] {
  const seen = new Map<string, number>();
  for (const e of events) {
    const id = `${String(e.data?.jobId)}|${String(e.data?.configKey ?? '')}|${e.key ?? ''}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}
