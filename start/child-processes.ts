import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
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
  process: ChildProcess;
  log: WriteStream;
  logPath: string;
  /** A child that is allowed to end by itself (the producer); others ending is a crash. */
  oneShot: boolean;
  exited: Promise<ChildExit>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  oneShot?: boolean;
  /** Open an IPC channel: a `loadgen` child then ends when this process does. */
  ipc?: boolean;
  /** Resolve `spawn` once the child prints this (e.g. redis-server's ready line). */
  readyLine?: string;
}

/**
 * The child processes of `loadgen start`. Each child's output goes to its own log file; a child that ends
 * while it should not is reported through `onCrash`; `stopAll` ends every child (SIGTERM, then SIGKILL after
 * a grace period) in the reverse order of starting, so none is left behind.
 */
export class ChildProcesses {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onCrash: (exit: ChildExit) => void,
  ) {}

  /** Starts `command args`; resolves when it is spawned, or when it printed `readyLine`. */
  async spawn(
    name: string,
    command: string,
    args: string[],
    options: SpawnOptions,
  ): Promise<ChildExit | void> {
    const logPath = join(this.logDir, `${name}.log`);
    const log = createWriteStream(logPath, { flags: 'a' });
    // The IPC channel ends a `loadgen` child when this process dies, even by SIGKILL (see cli.ts).
    const child = spawn(command, args, {
      env: options.env,
      stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => {
        const exit = { name, code, signal, tail: tailOf(logPath) };
        if (!this.stopping && !(entry.oneShot && code === 0)) {
          this.onCrash(exit);
        }
        resolve(exit);
      });
    });
    const entry: Child = { name, process: child, log, logPath, oneShot: options.oneShot ?? false, exited };
    this.children.push(entry);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => reject(new Error(`cannot start ${name} (${command}): ${err.message}`)));
    });
    if (options.readyLine) {
      await waitForLine(child, options.readyLine, exited, name);
    }
  }

  /** Resolves with how the named one-shot child ended. */
  exitOf(name: string): Promise<ChildExit> {
    const child = this.children.find((c) => c.name === name);
    if (!child) {
      throw new Error(`no child named ${name}`);
    }
    return child.exited;
  }

  logPathOf(name: string): string | undefined {
    return this.children.find((c) => c.name === name)?.logPath;
  }

  /** Ends every child that is still running, newest first; SIGKILL after `graceMs`. */
  async stopAll(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      const running = child.process.exitCode === null && child.process.signalCode === null;
      if (running) {
        child.process.kill('SIGTERM');
        const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
        await child.exited;
        clearTimeout(timer);
      }
      child.log.end();
    }
  }
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

function tailOf(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
