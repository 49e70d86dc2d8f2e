/**
 * Child-process entry of the bench's peer: `node dist/bench/peer.js '{"url":...,"connections":1000,...}'`
 * drives `POST /chat` with autocannon (the reference for bare HTTP load generation in Node) and reports over
 * IPC the requests it made and the CPU time they cost this process, start-up and module loading left out.
 */
import autocannon from 'autocannon';

export interface PeerArgs {
  url: string;
  connections: number;
  requests: number;
  /** The JSON body of each request (the worker's chat request). */
  body: string;
}

/** What the peer reports back. */
export interface PeerResult {
  requests: number;
  ok: number;
  failed: number;
  cpuMs: number;
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as PeerArgs;
  const before = process.cpuUsage();
  const result = await autocannon({
    url: new URL('chat', args.url.endsWith('/') ? args.url : `${args.url}/`).href,
    connections: args.connections,
    amount: args.requests,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: args.body,
    timeout: 60,
  });
  const cpu = process.cpuUsage(before);
  const message: PeerResult = {
    requests: result.requests.total,
    ok: result['2xx'],
    failed: result.errors + result.timeouts + result.non2xx,
    cpuMs: (cpu.user + cpu.system) / 1000,
    seconds: result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
  process.send?.({ result: message }, () => process.exit(0));
}

main().catch((err: unknown) => {
  process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () =>
    process.exit(1),
  );
});
