import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createRun, type RunResult } from '../producer/index.js';
import type { Env } from '../shared/config.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import type { ChatStubStats } from './chat-stub.js';
import { BenchProcess } from './child-process.js';
import { CpuMeter } from './cpu-meter.js';

export interface PipelineOptions {
  redisUrl: string;
  prefix: string;
  /** Events of both SDKs go here (the bench's sink), as they would go to LaunchDarkly. */
  eventsUrl: string;
  /** Fixed duration of every llm-sim call, ms (0: answer at once). */
  simLatencyMs: number;
  /**
   * When set, a stub (`chat-stub.ts`) answering `/chat` after this many ms stands in for the agent service, so
   * that only the harness (workers, producer, Redis) does real work; the judge still calls llm-sim.
   */
  chatStubLatencyMs?: number;
  /** One worker process per entry, with that concurrency. */
  workers: number[];
  /** Extra worker environment, e.g. a metrics port. */
  workerEnv?: (index: number) => Env;
  /** Folder for CPU profiles of the worker and agent-service processes (`--cpu-prof`). */
  cpuProfDir?: string | undefined;
  /** Label of the measurement, used in profile file names. */
  label: string;
}

/**
 * The pipeline as deployed, one OS process each: llm-sim, the agent service, N `loadgen worker`s; the
 * producer runs in the bench process (it is a library as much as a command). Logs at info, as by default.
 */
export class Pipeline {
  readonly runs: RunStore;

  private constructor(
    readonly options: PipelineOptions,
    readonly simUrl: string,
    /** The agent service's URL, or the stub's. */
    readonly chatUrl: string,
    private readonly processes: BenchProcess[],
    readonly workers: BenchProcess[],
    private readonly redis: Redis,
  ) {
    this.runs = new RunStore(redis, new RedisKeys(options.prefix));
  }

  static async start(options: PipelineOptions): Promise<Pipeline> {
    const started: BenchProcess[] = [];
    const redis = createRedis(options.redisUrl, { connectionName: `${options.prefix}:bench` });
    try {
      const cpuProfDir = options.cpuProfDir ? join(options.cpuProfDir, options.label) : undefined;
      const sim = await BenchProcess.service(
        'llm-sim',
        'llm-sim',
        { latencyMs: options.simLatencyMs },
        { env: {} },
      );
      started.push(sim.process);
      const common: Env = {
        REDIS_URL: options.redisUrl,
        REDIS_PREFIX: options.prefix,
        LLM_SIM_URL: sim.url,
        LD_EVENTS_URI: options.eventsUrl,
      };
      const agent =
        options.chatStubLatencyMs === undefined
          ? await BenchProcess.service('agent-service', 'agent-service', {}, { env: common, cpuProfDir })
          : await BenchProcess.service(
              'chat-stub',
              'chat-stub',
              { latencyMs: options.chatStubLatencyMs },
              { env: {} },
            );
      started.push(agent.process);
      const workers = await Promise.all(
        options.workers.map((concurrency, i) =>
          BenchProcess.worker(`worker-${i + 1}`, concurrency, {
            env: {
              ...common,
              AGENT_SERVICE_URL: agent.url,
              WORKER_METRICS_PORT: 'off',
              ...options.workerEnv?.(i),
            },
            cpuProfDir,
          }),
        ),
      );
      started.push(...workers);
      return new Pipeline(options, sim.url, agent.url, started, workers, redis);
    } catch (err) {
      await Promise.all(started.map((p) => p.stop()));
      redis.disconnect();
      throw err;
    }
  }

  /** The stub's answers so far and their server-side times (only with `chatStubLatencyMs`). */
  async stubStats(): Promise<ChatStubStats> {
    return (await (await fetch(`${this.chatUrl}/stats`)).json()) as ChatStubStats;
  }

  /** Starts measuring the CPU time of each process of the pipeline, Redis included. */
  async meterCpu(): Promise<CpuMeter> {
    const pid = /^process_id:(\d+)/m.exec(await this.redis.info('server'))?.[1];
    const pids = Object.fromEntries(this.processes.map((p) => [p.name, p.pid]));
    return CpuMeter.start(pid ? { ...pids, redis: Number(pid) } : pids);
  }

  /** Requests llm-sim has answered so far (chat, messages and embeddings). */
  async simRequests(): Promise<number> {
    const response = await fetch(`${this.simUrl}/stats`);
    const stats = (await response.json()) as { requests: number };
    return stats.requests;
  }

  /** Enqueues `queries` generated queries through the producer, as `loadgen run` does. */
  produce(runId: string, queries: number): Promise<RunResult> {
    return createRun(
      {
        runId,
        queries,
        seed: 12,
        topics: 'extractive',
        segments: 'other-paid=2,other-free=1,eu-paid=1,eu-free=1',
      },
      { redisUrl: this.options.redisUrl, prefix: this.options.prefix, llm: { simUrl: this.simUrl } },
    );
  }

  /**
   * Resolves once `count` result records of the run exist (polled: the events stream is capped, results are
   * not), or rejects when none arrives for `stallMs`.
   */
  async waitForResults(runId: string, count: number, stallMs = 60_000): Promise<void> {
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const done = await this.runs.resultCount(runId);
      if (done >= count) {
        return;
      }
      if (done !== last) {
        last = done;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        throw new Error(`run ${runId} stalled at ${done} of ${count} results`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Records of the run that did not complete (failed jobs, judge errors are still completed). */
  async failedResults(runId: string): Promise<number> {
    let failed = 0;
    for await (const record of this.runs.results(runId)) {
      if (record.status !== 'completed') {
        failed++;
      }
    }
    return failed;
  }

  async stop(): Promise<void> {
    // Workers first (they drain), then the service, then the simulator.
    await Promise.all(this.workers.map((w) => w.stop()));
    for (const p of this.processes.filter((p) => !this.workers.includes(p)).reverse()) {
      await p.stop();
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
