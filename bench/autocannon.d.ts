// autocannon ships no types; these are the parts of its programmatic API the bench's peer uses.
declare module 'autocannon' {
  interface Options {
    url: string;
    connections: number;
    amount: number;
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    /** Seconds before a request counts as timed out. */
    timeout: number;
  }
  interface Histogram {
    p50: number;
    p99: number;
    average: number;
  }
  interface Result {
    latency: Histogram;
    requests: Histogram & { total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    duration: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
