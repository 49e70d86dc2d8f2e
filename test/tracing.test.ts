import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueueJobs } from '../producer/enqueue.js';
import { QUERY_QUEUE, queryJobId } from '../shared/query-job.js';
import { bullConnection } from '../shared/redis.js';
import { startTelemetry, type TelemetryHandle } from '../shared/telemetry.js';
import { loadConfig as loadWorkerConfig, startWorker, type WorkerHandle } from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { queryJob, WorkerStack } from './worker-stack.js';

/** The span's parent span id (SDK 2.x: `parentSpanContext`). */
function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe('tracing: one trace per job, from the enqueue to the LaunchDarkly report (SDK in-memory exporter)', () => {
  let stack: WorkerStack | undefined;
  let worker: WorkerHandle | undefined;
  let queue: Queue | undefined;
  let telemetry: TelemetryHandle | undefined;
  afterEach(async () => {
    await worker?.close();
    await queue?.close();
    await stack?.close();
    await telemetry?.close();
    worker = queue = stack = telemetry = undefined;
  });

  it('links producer, worker steps, /chat, every agent, model and tool call in one span tree', async () => {
    const exporter = new InMemorySpanExporter();
    // Started first: the agent service and the worker of this process join the same tracer provider.
    telemetry = await startTelemetry({ serviceName: 'loadgen-test', env: {}, exporter });
    const prefix = testPrefix('otel');
    // Every model calls a tool when offered one, so the support agent's tool loop runs.
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix,
      sim: { allModels: { toolCallRate: 1 } },
    });
    worker = await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 2, tty: false });
    queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${prefix}:otel-queue`),
      prefix,
      ...(telemetry.bullmq ? { telemetry: telemetry.bullmq } : {}),
    });
    await stack.createRun('r1', 2);
    // Job 0 carries an e-mail address, so the supervisor routes it through the security agent too.
    const jobs = [
      { ...queryJob('r1', 0), query: 'I am jane.roe@example.com: what is Q-learning?' },
      queryJob('r1', 1),
    ];
    await enqueueJobs(queue, jobs, { chunkSize: 10 });
    const records = await stack.waitForResults('r1', 2);
    expect(records.map((r) => r.status)).toEqual(['completed', 'completed']);
    // Closing waits for the jobs in flight, whose `process` spans end when BullMQ has moved them on.
    await worker.close();

    const spans = exporter.getFinishedSpans();
    const jobId = queryJobId('r1', 0);
    const root = spans.find(
      (s) => s.name === 'enqueue queries' && s.attributes['messaging.message.id'] === jobId,
    );
    expect(root, 'the producer span of job 0').toBeDefined();
    const other = spans.find(
      (s) => s.name === 'enqueue queries' && s.attributes['messaging.message.id'] === queryJobId('r1', 1),
    );
    // One trace per job, not one per addBulk.
    expect(other?.spanContext().traceId).not.toBe(root?.spanContext().traceId);
    expect(root?.kind).toBe(SpanKind.PRODUCER);
    expect(parentId(root as ReadableSpan)).toBeUndefined();

    const trace = spans.filter((s) => s.spanContext().traceId === root?.spanContext().traceId);
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const parentName = (span: ReadableSpan) => byId.get(parentId(span) ?? '')?.name;
    const named = (name: string) => trace.filter((s) => s.name === name);
    const one = (name: string) => {
      const found = named(name);
      expect(found, name).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    // Every span of the trace hangs from the producer's span (no orphan whose parent was lost).
    for (const span of trace) {
      if (span !== root) {
        expect(byId.has(parentId(span) ?? ''), `${span.name} has its parent in the trace`).toBe(true);
      }
    }

    const process = one('process queries');
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(parentName(process)).toBe('enqueue queries');
    expect(process.attributes['loadgen.job_id']).toBe(jobId);
    for (const step of ['chat', 'judge', 'report', 'record']) {
      expect(parentName(one(`step ${step}`)), step).toBe('process queries');
    }
    const client = trace.find((s) => s.name === 'POST /chat' && s.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(parentName(client)).toBe('step chat');
    const server = trace.find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;
    expect(server.name).toBe('POST /chat');
    expect(parentId(server)).toBe(client.spanContext().spanId);
    expect(server.attributes['http.response.status_code']).toBe(200);

    const record = records.find((r) => r.jobId === jobId);
    for (const agent of ['supervisor', 'security', 'support']) {
      const span = one(`invoke_agent ${agent}`);
      expect(parentName(span), agent).toBe('POST /chat');
      const served = record?.served.find((s) => s.configKey === span.attributes['feature_flag.key']);
      expect(span.attributes['feature_flag.result.variant'], agent).toBe(served?.variationKey);
      const models = trace.filter(
        (s) => parentId(s) === span.spanContext().spanId && s.name.startsWith('chat '),
      );
      expect(models.length, `${agent} model calls`).toBeGreaterThan(0);
      for (const model of models) {
        expect(model.kind).toBe(SpanKind.CLIENT);
        expect(model.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      }
    }
    const tools = trace.filter((s) => s.name.startsWith('execute_tool '));
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((s) => parentName(s) === 'invoke_agent support')).toBe(true);
    // The judge's model call sits under the judge step.
    const judgeStep = one('step judge');
    expect(
      trace.some((s) => parentId(s) === judgeStep.spanContext().spanId && s.name.startsWith('chat ')),
    ).toBe(true);
  });
});
