import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, interceptors, request, type Dispatcher } from 'undici';

/**
 * One keep-alive connection pool for our HTTP calls, following redirects as `fetch` does. Calls made with
 * undici's `request` cost ~0.04-0.1 ms of CPU where Node 20's global `fetch` costs ~0.36 ms (measured: 50
 * concurrent POSTs on loopback, README "Benchmarks"), and a job makes five of them.
 */
const httpDispatcher: Dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 20 }));

/** Status codes whose responses have no body, which `new Response` refuses to be given one. */
const NULL_BODY = new Set([204, 205, 304]);

/**
 * A `fetch` for the provider SDKs (their `fetch` option) and the worker's chat calls, over undici's
 * `request` and the pool above. It takes what they send (a URL, a string or byte body, an abort signal) and
 * hands anything else to the global `fetch`: a `Request`, another body type, an `accept-encoding` of the
 * caller's (`fetch` decodes the body; this asks for `identity`), a `redirect` mode other than `follow`.
 * Differences from `fetch`: a body that is not an event stream is read whole before the promise resolves (the
 * callers read it whole anyway), `response.url` is empty, and a failed connection rejects with undici's error
 * (e.g. code `ECONNREFUSED`) rather than `TypeError: fetch failed`. Aborts reject as `fetch`'s do.
 */
export async function fetchOverUndici(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const body = init?.body;
  const headers = new Headers(init?.headers);
  if (
    input instanceof Request ||
    (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) ||
    headers.has('accept-encoding') ||
    (init?.redirect ?? 'follow') !== 'follow'
  ) {
    return fetch(input, init);
  }
  headers.set('accept-encoding', 'identity');
  const method = (init?.method ?? 'GET').toUpperCase();
  const res = await request(input, {
    method: method as Dispatcher.HttpMethod,
    headers: Object.fromEntries(headers),
    body: body ?? null,
    signal: init?.signal ?? undefined,
    dispatcher: httpDispatcher,
  });
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined) {
        responseHeaders.append(name, one);
      }
    }
  }
  const options = {
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    headers: responseHeaders,
  };
  if (method === 'HEAD' || NULL_BODY.has(res.statusCode)) {
    await res.body.dump();
    return new Response(null, options);
  }
  if (responseHeaders.get('content-type')?.startsWith('text/event-stream')) {
    return new Response(Readable.toWeb(res.body) as ReadableStream, options);
  }
  return new Response(await res.body.arrayBuffer(), options);
}
