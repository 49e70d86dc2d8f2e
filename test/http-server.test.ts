import { connect } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttp, type HttpServer } from '../shared/http-server.js';

/** Sends `raw` on a fresh connection and returns everything the server wrote before closing. */
function rawExchange(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('listenHttp', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers Node’s parser-level refusals with a JSON body', async () => {
    const app = new Hono().get('/', (c) => c.json({ ok: true }));
    server = await listenHttp(app.fetch, 0, '127.0.0.1');

    const garbage = await rawExchange(server.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1] ?? '')).toEqual({
      error: 'the request is not valid HTTP',
    });

    const huge = await rawExchange(
      server.url,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.split('\r\n\r\n')[1] ?? '')).toEqual({
      error: 'the request headers are too large',
    });
  });
});
