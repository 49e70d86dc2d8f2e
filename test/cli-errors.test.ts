import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/paths.js';

/** Runs the built CLI (`npm run build` first) and collects what it printed and its exit code. */
function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(packageRoot, 'dist/cli.js'), ...args], {
    env: { PATH: process.env.PATH, ...env },
    cwd: packageRoot,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('loadgen CLI errors', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('exits 2 on an unknown command, naming it', async () => {
    const { code, stderr } = await cli(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 on help for an unknown command, naming it', async () => {
    const { code, stderr } = await cli(['help', 'frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints a busy port as one line that says what to do, exit 1, no stack', async () => {
    const { code, stderr } = await cli(['sim', '--port', String(busyPort)], { LOG_LEVEL: 'silent' });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `loadgen sim: port 127.0.0.1:${busyPort} is already in use: stop the process that has it or choose another port`,
    );
  });

  it('prints a bad variable as a configuration error, exit 2, no stack', async () => {
    const { code, stderr } = await cli(['worker'], { WORKER_CONCURRENCY: '0' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^loadgen worker: invalid environment:\n {2}WORKER_CONCURRENCY:/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names the command in the one line of a run that cannot reach Redis, without the password, exit 1', async () => {
    const { code, stderr } = await cli(['run', '--queries', '3'], {
      REDIS_URL: 'redis://:hunter2secret@127.0.0.1:1',
      REDIS_CONNECT_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'silent',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^loadgen run: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?: /);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toContain('hunter2');
  });

  it('prints a missing run as one line naming the command, exit 1', async () => {
    const { code, stderr } = await cli(['report', 'no-such-run'], {
      REDIS_URL: 'redis://127.0.0.1:1',
      LOG_LEVEL: 'silent',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^loadgen report: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/?/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
