import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

const SETPRIV = '/usr/bin/setpriv';

/**
 * The command line that runs `redis-server args`: on Linux through setpriv with a parent-death signal, so the
 * server ends with the process that started it even if that one is SIGKILLed (setpriv execs, same pid).
 */
export function redisServerCommand(args: string[]): [string, string[]] {
  return existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', 'redis-server', ...args]]
    : ['redis-server', args];
}

export interface RedisServerOptions {
  /** Append-only persistence, as the compose file runs Redis; needed to survive a restart with data. */
  appendOnly?: boolean;
  /** `--requirepass`: clients must authenticate (tests of a wrong password). */
  password?: string;
}

/**
 * A throwaway `redis-server` from PATH on a free port in a temporary directory: for tests (which kill and
 * restart it on the same port) and benchmarks.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'loadgen-redis-'));

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      this.options.appendOnly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--dir',
      this.dir,
      '--maxmemory-policy',
      'noeviction',
      ...(this.options.password === undefined ? [] : ['--requirepass', this.options.password]),
    ];
    const [command, commandArgs] = redisServerCommand(args);
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', (err) => reject(new Error(`cannot start redis-server: ${err.message}`)));
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
  }

  private waitExit(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** SIGKILL: no shutdown save, like a crashed container. */
  kill(): Promise<void> {
    return this.waitExit('SIGKILL');
  }

  /** Starts again on the same port and directory (append-only data is reloaded). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.waitExit('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
