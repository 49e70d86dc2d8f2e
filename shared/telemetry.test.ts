import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { injectTraceHeaders, startTelemetry, tracingEnabled, withSpan } from './telemetry.js';

/** A stand-in OTLP/HTTP collector: records the path and headers of each export. */
async function collector() {
  const exports: { path: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', headers: req.headers, bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, exports, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('startTelemetry', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
  });

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: no provider, spans record nothing, no traceparent sent', async () => {
    const telemetry = await startTelemetry({ serviceName: 'test', env: {} });
    closers.push(() => telemetry.close());
    expect(telemetry.enabled).toBe(false);
    expect(telemetry.bullmq).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    const recording = await withSpan('x', {}, async (span) => span.isRecording());
    expect(recording).toBe(false);
    expect(injectTraceHeaders({})).toEqual({});
  });

  it('exports over OTLP/HTTP to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, flushing when the last user closes', async () => {
    const otlp = await collector();
    closers.push(otlp.close);
    const env = { otelExporterOtlpEndpoint: otlp.url };
    const first = await startTelemetry({ serviceName: 'test', env });
    const second = await startTelemetry({ serviceName: 'test', env });
    expect(first.enabled && second.enabled).toBe(true);
    expect(first.bullmq).toBeDefined();
    const headers = await withSpan('x', {}, async (span) => {
      expect(span.isRecording()).toBe(true);
      return injectTraceHeaders({});
    });
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    await first.close();
    await first.close();
    // Still on: the second user has not closed; its close flushes the batch.
    expect(tracingEnabled()).toBe(true);
    await second.close();
    expect(tracingEnabled()).toBe(false);
    expect(otlp.exports.map((e) => e.path)).toEqual(['/v1/traces']);
    expect(otlp.exports[0]?.headers['content-type']).toBe('application/json');
    expect(otlp.exports[0]?.bytes).toBeGreaterThan(0);
  });
});
