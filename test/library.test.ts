import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerReadoutCommands } from '../readout/command.js';
import { packageRoot } from '../shared/paths.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerProcess } from './worker-processes.js';
import { WorkerStack } from './worker-stack.js';

const run = promisify(execFile);

/**
 * The package as a script sees it: a project in a temp dir with `loadgen` in its node_modules (a symlink to this
 * package, as `npm link` makes), compiled by tsc against the emitted .d.ts (build first), and run.
 */
describe('loadgen as a library', () => {
  let stack: WorkerStack;
  let worker: WorkerProcess;
  let project: string;
  let prefix: string;

  // Per test: the leak check after each test wants every connection of its prefix closed.
  beforeEach(async () => {
    prefix = testPrefix('lib');
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    worker = WorkerProcess.spawn(stack.workerEnv(), 4);
    project = mkdtempSync(join(tmpdir(), 'loadgen-lib-'));
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(packageRoot, join(project, 'node_modules', 'loadgen'));
    symlinkSync(
      join(packageRoot, 'node_modules', '@types', 'node'),
      join(project, 'node_modules', '@types', 'node'),
    );
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'script', type: 'module', private: true }),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          outDir: 'out',
        },
        include: ['enqueue.ts'],
      }),
    );
    copyFileSync(join(packageRoot, 'examples', 'enqueue.ts'), join(project, 'enqueue.ts'));
    await worker.ready;
  }, 120_000);

  afterEach(async () => {
    await worker?.stop();
    await stack?.close();
    if (project) {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("compiles the README's example against the package's types and runs it to a readout", async () => {
    const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', project]).catch((err: { stdout: string }) => {
      throw new Error(`tsc failed:\n${err.stdout}`);
    });
    const { stdout } = await run(process.execPath, [join(project, 'out', 'enqueue.js')], {
      env: { PATH: process.env.PATH, REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, RUN_ID: 'example' },
    });
    const printed = JSON.parse(stdout) as { results: number; completed: number; experiments: unknown[] };
    expect(printed).toMatchObject({ results: 5, completed: 5 });
    expect(printed.experiments.length).toBeGreaterThan(0);
    expect((await stack.runs.get('example'))?.status).toBe('done');
  }, 180_000);

  it('reports a run that a plain BullMQ script enqueued without a run record', async () => {
    await stack.enqueue('plain', 5);
    await stack.waitForResults('plain', 5, 120_000);
    // Of unknown size, it is done once every job it has in the queue has its record.
    await expect
      .poll(async () => (await stack.runs.get('plain'))?.status, { timeout: 30_000, interval: 50 })
      .toBe('done');
    const state = await stack.runs.get('plain');
    expect(state).toMatchObject({ status: 'done', meta: { runId: 'plain', mode: 'UNKNOWN' } });
    expect(await stack.redis.zscore(stack.keys.runs(), 'plain')).not.toBeNull();

    let out = '';
    let code = 0;
    const program = new Command().exitOverride();
    registerReadoutCommands(program, {
      stdout: { write: (s: string) => ((out += s), true) } as never,
      stderr: { write: (s: string) => ((out += s), true) } as never,
      env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
      setExitCode: (c) => (code = c),
    });
    await program.parseAsync(['node', 'loadgen', 'report', 'plain', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ run: { runId: 'plain', counts: { records: 5 } } });
  }, 180_000);
});
