import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the child wrote, for the crash report. */
  tail: string;
}

interface Child {
  name: string;
  /** Children of one group (the workers) are stopped together. */
  group: string;
  process: ChildProcess;
  log: WriteStream;
  exited: Promise<ChildExit>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** A child that may end by itself (the producer); any other child ending is a crash. */
  oneShot?: boolean;
  /** Open an IPC channel: a `loadgen` child then ends when this process does (see cli.ts). */
  ipc?: boolean;
  /** Resolve `spawn` once the child prints this (e.g. redis-server's ready line). */
  readyLine?: string;
  /** Stop group; defaults to the child's name. */
  group?: string;
}

const TAIL_CHARS = 4000;

/**
 * The child processes of `loadgen start`. Each child's output goes to its own log file; a child that ends
 * while it should not is reported through `onCrash`; `stopAll` ends every child (SIGTERM, then SIGKILL after
 * a grace period) group by group in the reverse order of starting, so none is left behind. Children run in
 * process groups of their own: a Ctrl-C in the terminal reaches `start` alone, which then stops them in order.
 */
export class ChildProcesses {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onCrash: (exit: ChildExit) => void,
  ) {}

  /** Starts `command args`; resolves when it is spawned, or when it printed `readyLine`. */
  async spawn(name: string, command: string, args: string[], options: SpawnOptions): Promise<void> {
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(command, args, {
      env: options.env,
      detached: true,
      stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    // 'close' comes after the output is read to the end, so the crash report has the last lines.
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('close', (code, signal) => {
        const exit = { name, code, signal, tail: tail.trimEnd() };
        if (!this.stopping && !(options.oneShot && code === 0)) {
          this.onCrash(exit);
        }
        resolve(exit);
      });
    });
    this.children.push({ name, group: options.group ?? name, process: child, log, exited });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => reject(new Error(`cannot start ${name} (${command}): ${err.message}`)));
    });
    if (options.readyLine) {
      await waitForLine(child, options.readyLine, exited, name);
    }
  }

  /** Resolves with how the named child ended. */
  exitOf(name: string): Promise<ChildExit> {
    const child = this.children.find((c) => c.name === name);
    if (!child) {
      throw new Error(`no child named ${name}`);
    }
    return child.exited;
  }

  /** Ends every child that is still running, a group at a time, newest first; SIGKILL after `graceMs`. */
  async stopAll(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    const groups = [...new Set(this.children.map((c) => c.group))].reverse();
    for (const group of groups) {
      await Promise.all(this.children.filter((c) => c.group === group).map((c) => stop(c, graceMs)));
    }
  }
}

async function stop(child: Child, graceMs: number): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill('SIGTERM');
    const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(timer);
  }
  child.log.end();
}

function waitForLine(
  child: ChildProcess,
  line: string,
  exited: Promise<ChildExit>,
  name: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes(line)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((exit) => reject(new Error(`${name} exited before it was ready: ${exit.tail}`)));
  });
}
