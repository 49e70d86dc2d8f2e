import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../shared/config.js';
import { packageRoot } from '../shared/paths.js';

const CLI = join(packageRoot, 'dist', 'cli.js');

/** A `node dist/cli.js worker` child process (build first: `npm run build`, which `npm test` does). */
export class WorkerProcess {
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';
  private readyPromise: Promise<void> | undefined;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const keep = (chunk: Buffer) => {
      // Keep the tail only: enough to explain a failure.
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /**
   * Spawns a worker process (logging at info, which says when it has started). Await `ready` before
   * counting on it; the process is returned at once so that a test can always stop it.
   */
  static spawn(env: Env, concurrency: number): WorkerProcess {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run npm run build first`);
    }
    const child = spawn(process.execPath, [CLI, 'worker', '--concurrency', String(concurrency)], {
      env: { PATH: process.env.PATH, ...env, LOG_LEVEL: 'info' },
      // With an IPC channel the worker ends with the test process, even if a failed test could not stop it.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new WorkerProcess(child);
  }

  /** Resolves once the process logged that it started; rejects with its output if it exited first. */
  get ready(): Promise<void> {
    this.readyPromise ??= new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.output.includes('"worker started"')) {
          this.child.stdout?.off('data', check);
          resolve();
        }
      };
      this.child.stdout?.on('data', check);
      check();
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`worker exited (${code ?? signal}) before starting:\n${this.output}`)),
      );
    });
    return this.readyPromise;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and resolves with how the process ended. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) {
      this.child.kill(signal);
    }
    return this.exited;
  }
}
