import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatResponse } from '../shared/chat.js';

export interface ChatStubOptions {
  /** Fixed time every `/chat` answer waits before it is sent, ms (0: at once). */
  latencyMs: number;
  port?: number;
}

/** What `GET /stats` returns: requests answered and each one's time inside the stub. */
export interface ChatStubStats {
  requests: number;
  /** Per answered request: request received to response written, ms (in arrival order). */
  serverMs: number[];
}

/**
 * The answer of the stub: the agent service's `/chat` contract with one enabled agent, so the worker reports
 * feedback for it as it would for the real service. The answer names the request, so no two answers are the
 * same and the judge's verdict cache never spares a judge call.
 */
export function stubChatResponse(requestId: string): ChatResponse {
  const tokens = { input: 120, output: 40, total: 160 };
  return {
    requestId,
    answer: `Stub answer to request ${requestId}: restart the service, then check the logs.`,
    route: ['support'],
    agents: [
      {
        agent: 'support',
        configKey: 'support-agent',
        variationKey: 'stub',
        version: 1,
        enabled: true,
        model: 'gpt-4o-mini',
        provider: 'openai',
        tokens,
        durationMs: 0,
        costUsd: 0.00004,
        toolCalls: [],
        trackData: {
          variationKey: 'stub',
          configKey: 'support-agent',
          version: 1,
          modelName: 'gpt-4o-mini',
          providerName: 'openai',
        },
      },
    ],
    totals: { tokens, durationMs: 0, costUsd: 0.00004, unpricedModels: [] },
  };
}

/**
 * A stand-in for the agent service in the bench: `POST /chat` reads the body, waits `latencyMs` and answers
 * with `stubChatResponse`, on bare `node:http` so it spends as little of the shared cores as a server can.
 * `GET /stats` gives each answer's server-side time, the reference the worker's measured latency is held to.
 */
export async function startChatStub(
  options: ChatStubOptions,
): Promise<{ url: string; stats(): ChatStubStats; close(): Promise<void> }> {
  const serverMs: number[] = [];
  let seq = 0;
  const chat = (req: IncomingMessage, res: ServerResponse, received: number) => {
    // The body is read (and dropped) as a server must before answering; its content does not matter here.
    req.resume();
    req.on('end', () => {
      const header = req.headers['x-request-id'];
      const requestId = (Array.isArray(header) ? header[0] : header) ?? `stub-${++seq}`;
      const answer = () => {
        const body = JSON.stringify(stubChatResponse(requestId));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body, () => serverMs.push(performance.now() - received));
      };
      if (options.latencyMs > 0) {
        setTimeout(answer, options.latencyMs);
      } else {
        answer();
      }
    });
  };
  const stats = (): ChatStubStats => ({ requests: serverMs.length, serverMs });
  const server = createServer((req, res) => {
    const received = performance.now();
    const path = req.url?.split('?')[0];
    if (req.method === 'POST' && path === '/chat') {
      chat(req, res, received);
    } else if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats()));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'POST /chat or GET /stats' } }));
    }
  });
  // Load generators open a connection per slot; keep them all, as the agent service's server does.
  server.keepAliveTimeout = 60_000;
  server.maxConnections = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
