import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../shared/config.js';
import { packageRoot } from '../shared/paths.js';

export const CLI = join(packageRoot, 'dist', 'cli.js');
export const SERVE = join(packageRoot, 'dist', 'bench', 'serve.js');
export const PEER = join(packageRoot, 'dist', 'bench', 'peer.js');

export interface SpawnOptions {
  env: Env;
  /** Write a V8 CPU profile of this process here (`--cpu-prof`) when it exits. */
  cpuProfDir?: string | undefined;
}

/**
 * One process of the pipeline under measurement. Its output is drained (and its tail kept for errors) so
 * that logging costs what it costs when deployed, without a full pipe stalling the process.
 */
export class BenchProcess {
  private tail = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** A `loadgen worker` process; resolves once it logged that it started. */
  static async worker(name: string, concurrency: number, options: SpawnOptions): Promise<BenchProcess> {
    const proc = BenchProcess.spawn(
      name,
      [CLI, 'worker', '--concurrency', String(concurrency)],
      options,
      true,
    );
    await proc.waitFor((resolve) => {
      const onData = () => {
        if (proc.tail.includes('"worker started"')) {
          proc.child.stdout?.off('data', onData);
          resolve(undefined);
        }
      };
      proc.child.stdout?.on('data', onData);
    });
    return proc;
  }

  /** `serve.js llm-sim|chat-stub|agent-service`; resolves with the URL the service listens on. */
  static async service(
    name: string,
    role: 'llm-sim' | 'chat-stub' | 'agent-service',
    args: object,
    options: SpawnOptions,
  ): Promise<{ process: BenchProcess; url: string }> {
    const proc = BenchProcess.spawn(name, [SERVE, role, JSON.stringify(args)], options, true);
    const url = await proc.waitFor<string>((resolve, reject) => {
      proc.child.on('message', (message: { ready?: string; error?: string }) => {
        if (message.ready) {
          resolve(message.ready);
        } else if (message.error) {
          reject(new Error(`${name}: ${message.error}`));
        }
      });
    });
    return { process: proc, url };
  }

  /**
   * Runs the peer load generator (`peer.js`) to its end; resolves with what it reports, with the CPU its
   * process used for the requests (measured inside it, so module loading is left out).
   */
  static async peer<T>(args: object): Promise<T> {
    const proc = BenchProcess.spawn('peer', [PEER, JSON.stringify(args)], { env: {} }, true);
    try {
      return await proc.waitFor<T>((resolve, reject) => {
        proc.child.on('message', (message: { result?: T; error?: string }) => {
          if (message.result) {
            resolve(message.result);
          } else if (message.error) {
            reject(new Error(`peer: ${message.error}`));
          }
        });
      });
    } finally {
      await proc.stop();
    }
  }

  private static spawn(name: string, args: string[], options: SpawnOptions, ipc = false): BenchProcess {
    const execArgv: string[] = [];
    if (options.cpuProfDir) {
      mkdirSync(options.cpuProfDir, { recursive: true });
      execArgv.push(
        '--cpu-prof',
        '--cpu-prof-dir',
        options.cpuProfDir,
        '--cpu-prof-name',
        `${name}.cpuprofile`,
      );
    }
    const child = spawn(process.execPath, [...execArgv, ...args], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...options.env },
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    return new BenchProcess(name, child);
  }

  private waitFor<T>(wire: (resolve: (value: T) => void, reject: (err: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      wire(resolve, reject);
      void this.exited.then((code) =>
        reject(new Error(`${this.name} exited (${code}) before starting:\n${this.tail}`)),
      );
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Peak resident set size so far (VmHWM of /proc/PID/status), MB. */
  async peakRssMb(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (!match) {
      throw new Error(`no VmHWM in /proc/${this.pid}/status`);
    }
    return Number(match[1]) / 1024;
  }

  /** SIGTERM, and SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
