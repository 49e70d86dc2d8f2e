import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './net.js';
import { fetchOverUndici } from './http-client.js';
import { createAnthropicClient, createOpenAIClient } from './llm/clients.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('fetchOverUndici', () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, Handler>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => (routes.get(req.url ?? '') ?? (() => res.writeHead(404).end()))(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    routes.set('/echo', (req, body, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, headers: req.headers, body }));
    });
    routes.set('/empty', (_req, _body, res) => res.writeHead(204).end());
    routes.set('/moved', (_req, _body, res) => res.writeHead(307, { location: '/echo' }).end());
    routes.set('/hang', () => {});
    routes.set('/gzip', (req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ asked: req.headers['accept-encoding'] })));
    });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends method, headers and body, and returns status, every header and the body', async () => {
    const response = await fetchOverUndici(`${base}/echo`, {
      method: 'post',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: '{"q":1}',
    });
    expect([response.status, response.statusText, response.ok]).toEqual([201, 'Created', true]);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const echoed = (await response.json()) as {
      method: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(echoed.method).toBe('POST');
    expect(echoed.body).toBe('{"q":1}');
    expect(echoed.headers).toMatchObject({ authorization: 'Bearer k', 'accept-encoding': 'identity' });
  });

  it('returns a null body for 204 and HEAD, and follows a 307 with the body', async () => {
    const empty = await fetchOverUndici(`${base}/empty`, { method: 'DELETE' });
    expect([empty.status, empty.body]).toEqual([204, null]);
    const head = await fetchOverUndici(`${base}/echo`, { method: 'HEAD' });
    expect([head.status, head.body, head.headers.get('content-type')]).toEqual([
      201,
      null,
      'application/json',
    ]);
    const moved = await fetchOverUndici(`${base}/moved`, { method: 'POST', body: 'again' });
    expect(moved.status).toBe(201);
    expect(((await moved.json()) as { body: string }).body).toBe('again');
  });

  it('streams an event stream: the first event arrives while the server still holds the response', async () => {
    let finish: (() => void) | undefined;
    routes.set('/events', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    });
    const response = await fetchOverUndici(`${base}/events`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('data: one\n\n');
    finish?.();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value);
    }
    expect(rest).toBe('data: two\n\n');
  });

  it('rejects as fetch does when its signal aborts: AbortError, or TimeoutError for a timeout', async () => {
    const controller = new AbortController();
    const aborted = fetchOverUndici(`${base}/hang`, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await expect(fetchOverUndici(`${base}/hang`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('rejects when the connection is refused', async () => {
    const port = await freePort();
    await expect(fetchOverUndici(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it("leaves a caller's accept-encoding to the global fetch, which decodes the body", async () => {
    const response = await fetchOverUndici(`${base}/gzip`, { headers: { 'accept-encoding': 'gzip' } });
    expect(await response.json()).toEqual({ asked: 'gzip' });
  });

  it('is the fetch of the OpenAI and Anthropic clients', async () => {
    const seen: (string | undefined)[] = [];
    const record: Handler = (req, _body, res) => {
      seen.push(req.headers['accept-encoding']);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
    routes.set('/v1/chat/completions', record);
    routes.set('/v1/messages', record);
    await createOpenAIClient({ simUrl: base }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await createAnthropicClient({ simUrl: base }).messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(seen).toEqual(['identity', 'identity']);
  });

  it('hands a Request, or a body it does not take, to the global fetch', async () => {
    const response = await fetchOverUndici(
      new Request(`${base}/echo`, { method: 'POST', body: 'as request' }),
    );
    expect(((await response.json()) as { body: string }).body).toBe('as request');
    const form = await fetchOverUndici(`${base}/echo`, {
      method: 'POST',
      body: new URLSearchParams({ a: 'b' }),
    });
    expect(((await form.json()) as { body: string }).body).toBe('a=b');
  });
});
