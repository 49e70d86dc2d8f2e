import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDefaultEnv } from './helpers/local-env.js';

/** Pids of live processes whose environment holds `marker` (children inherit it from `loadgen start`). */
function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'latin1');
      if (!/^State:\s+Z/m.test(status) && readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

/** Polls until no process carries `marker` (bounded): children shut down gracefully, which takes a moment. */
async function waitUntilGone(marker: string, timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesWithMarker(marker);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = processesWithMarker(marker);
  }
  return left;
}

interface Started {
  child: ChildProcessWithoutNullStreams;
  marker: string;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output contains `text`. */
  printed: (text: string) => Promise<void>;
}

function startLoadgen(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Started {
  const marker = randomUUID();
  const env = localDefaultEnv({ LOADGEN_START_TEST: marker, ...extraEnv });
  // Its own redis-server, which it stops at exit.
  delete env.REDIS_URL;
  // Its own process group, as a terminal gives a foreground job: a Ctrl-C reaches the whole group.
  const child = spawn(process.execPath, ['dist/cli.js', 'start', '--dashboard-port', '0', ...args], {
    env,
    detached: true,
  });
  let output = '';
  const listeners: (() => void)[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => output.includes(text) && resolve();
      listeners.push(check);
      check();
      void exited.then(() => reject(new Error(`exited before printing "${text}":\n${output}`)));
    });
  return { child, marker, output: () => output, exited, printed };
}

describe('loadgen start (built CLI, no Docker)', () => {
  it('runs the whole topology, prints both readouts and leaves no child process behind', async () => {
    const run = startLoadgen(['--queries', '40', '--workers', '3', '--exit', '--zero-latency']);
    const code = await run.exited;
    const output = run.output();

    expect(code, output).toBe(0);
    expect(output).toContain('40 queries enqueued');
    expect(output).toMatch(/Records 40 of 40 queries/);
    // The live line (not a terminal: a line per interval and the last one): in flight, failures, spend, arms.
    expect(output).toMatch(
      /^progress: 40\/40 results {2}elapsed \S+ {2}[\d.]+ jobs\/s {2}eta \S+ {2}in flight \d+ {2}failed \d+.* {2}spend \$[\d.]+ {2}users\/arm \S+\/\S+ \d+/m,
    );
    expect(output).toContain('Security Level (security-level)');
    expect(output).toContain('Premium Model Value (premium-model-value)');
    expect(output.match(/^ {2}decision: /gm)).toHaveLength(2);
    expect(processesWithMarker(run.marker), 'child processes still running').toEqual([]);
  }, 180_000);

  it("--check exits with report --check's code, writes --json and keeps its Redis data with --keep-redis", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadgen-check-'));
    try {
      const json = join(dir, 'readout.json');
      const run = startLoadgen([
        '--queries',
        '40',
        '--workers',
        '2',
        '--zero-latency',
        '--check',
        '--json',
        json,
        '--keep-redis',
      ]);
      const code = await run.exited;
      const output = run.output();
      // 40 queries cannot decide an experiment: the gate must not pass (4 inconclusive, or 3 on a failure).
      const states = (
        JSON.parse(readFileSync(json, 'utf8')) as { experiments: { state: string }[] }
      ).experiments.map((e) => e.state);
      const expected = states.some((s) => ['fails', 'futile', 'invalid'].includes(s))
        ? 3
        : states.includes('inconclusive')
          ? 4
          : 0;
      expect(expected).not.toBe(0);
      expect(code, output).toBe(expected);
      const kept = /redis data kept in (\S+)\/dump\.rdb/.exec(output)?.[1];
      expect(kept, output).toBeDefined();
      expect(existsSync(join(kept as string, 'dump.rdb'))).toBe(true);
      rmSync(kept as string, { recursive: true, force: true });
      expect(processesWithMarker(run.marker), 'child processes still running').toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('ends every child on Ctrl-C and exits 130', async () => {
    // Realistic latency keeps the run going while we interrupt it; workers finish in-flight jobs for 3 s at most.
    const run = startLoadgen(['--queries', '200', '--workers', '2'], { WORKER_SHUTDOWN_SECONDS: '3' });
    await run.printed('queries enqueued');
    // The same /metrics as in compose: the agent service's and one per worker, at the printed URLs.
    const urls = /metrics +(.+)/.exec(run.output())?.[1]?.match(/http:\S+\/metrics/g) ?? [];
    expect(urls, run.output()).toHaveLength(3);
    const texts = await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
    expect(texts[0]).toContain('# TYPE loadgen_agent_chat_requests_total counter');
    expect(texts.slice(1).every((t) => t.includes('# TYPE loadgen_worker_jobs_total counter'))).toBe(true);
    // As a terminal's Ctrl-C does: SIGINT to the foreground process group. The children run in groups of
    // their own, so only `start` gets it, and it stops them in order.
    process.kill(-(run.child.pid as number), 'SIGINT');
    expect(await run.exited, run.output()).toBe(130);
    expect(run.output()).not.toContain('crashed');
    expect(run.output()).toContain('interrupted: partial summary');
    expect(processesWithMarker(run.marker), 'child processes still running').toEqual([]);
  }, 180_000);

  it('reports a crashed child, ends the others and exits 1', async () => {
    const run = startLoadgen(['--queries', '200', '--workers', '2'], { WORKER_SHUTDOWN_SECONDS: '3' });
    await run.printed('queries enqueued');
    const worker = processesWithMarker(run.marker).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('\0worker\0'),
    );
    expect(worker).toBeDefined();
    process.kill(worker as number, 'SIGKILL');
    expect(await run.exited, run.output()).toBe(1);
    expect(run.output()).toMatch(/worker-\d crashed \(SIGKILL\); stopping everything/);
    expect(processesWithMarker(run.marker), 'child processes still running').toEqual([]);
  }, 180_000);

  it('leaves nothing behind even when it is SIGKILLed', async () => {
    // Its Redis goes too, so workers cannot finish in-flight jobs: a short shutdown deadline keeps this quick.
    const run = startLoadgen(['--queries', '200', '--workers', '2'], { WORKER_SHUTDOWN_SECONDS: '3' });
    await run.printed('queries enqueued');
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await waitUntilGone(run.marker, 120_000), 'child processes still running').toEqual([]);
  }, 200_000);
});
