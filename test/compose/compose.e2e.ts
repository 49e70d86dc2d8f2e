import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's Docker quick start on a real engine, from a fresh clone of this repository's committed HEAD:
 * build, `up --scale worker=10`, the producer's run to completion, the dashboard and /metrics, then chaos during
 * a ~1,000-job run (two workers killed, Redis restarted), `down`, and a second `up` on the same volume.
 * Compose runs under its own project name so that it never touches a user's `loadgen` project.
 */

const PROJECT = process.env.COMPOSE_TEST_PROJECT ?? 'loadgen-compose-test';
const WORKERS = 10;
const CHAOS_QUERIES = Number(process.env.COMPOSE_TEST_CHAOS_QUERIES ?? 1000);
const CHAOS_RUN = 'compose-chaos';
const PREFIX = 'loadgen';
const PASSWORD = 'change-me';

const dir = mkdtempSync(join(tmpdir(), 'loadgen-compose-'));
const clone = join(dir, 'loadgen');
const env = { ...process.env, COMPOSE_PROJECT_NAME: PROJECT };
const t0 = Date.now();
const timings: [string, number][] = [];
const figures: Record<string, number | string> = {};
let failed = false;

function exec(
  file: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? clone, env, timeout: options.timeoutMs ?? 15 * 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
          reject(new Error(`${file} ${args.join(' ')} failed: ${err.message.split('\n')[0]}\n${tail}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

const compose = (...args: string[]) => exec('docker', ['compose', ...args]);
const redis = async (...args: string[]) =>
  (await compose('exec', '-T', 'redis', 'redis-cli', '--raw', ...args)).trim();

/** Runs `step`, timing it; a failed step makes the later ones fail at once rather than time out. */
async function timed<T>(name: string, step: () => Promise<T>): Promise<T> {
  if (failed) {
    throw new Error(`not run: an earlier step failed`);
  }
  const start = Date.now();
  try {
    return await step();
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    timings.push([name, (Date.now() - start) / 1000]);
  }
}

/** Polls `check` every 2 s until it returns a value, or fails after `timeoutMs` with the last state. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) {
        return value;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`, { cause: last });
    }
    await sleep(2000);
  }
}

interface PsEntry {
  ID: string;
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
}

async function ps(...args: string[]): Promise<PsEntry[]> {
  const out = (await compose('ps', '--all', '--format', 'json', ...args)).trim();
  if (!out) {
    return [];
  }
  // Compose 2.21+ prints one JSON object per line; older ones a JSON array.
  return out.startsWith('[')
    ? (JSON.parse(out) as PsEntry[])
    : out.split('\n').map((line) => JSON.parse(line) as PsEntry);
}

async function runStatus(runId: string): Promise<{ status: string; results: number; queries: number }> {
  const [status, queries] = (await redis('HMGET', `${PREFIX}:run:${runId}`, 'status', 'queries')).split('\n');
  const results = Number(await redis('HLEN', `${PREFIX}:run:${runId}:results`));
  return { status: status ?? '', results, queries: Number(queries) };
}

/** Waits until the run is done with a result per query. */
function runDone(runId: string, timeoutMs: number) {
  return waitFor(
    `run ${runId} to finish`,
    async () => {
      const state = await runStatus(runId);
      return state.status === 'done' && state.results === state.queries ? state : undefined;
    },
    timeoutMs,
  );
}

/** Fetches URLs from inside the compose network (from the dashboard container); returns status and body each. */
async function fetchInside(urls: string[]): Promise<{ url: string; status: number; body: string }[]> {
  const script =
    'Promise.all(JSON.parse(process.argv[1]).map(u=>fetch(u).then(async r=>({url:u,status:r.status,body:await r.text()}),' +
    'e=>({url:u,status:0,body:String(e)})))).then(r=>console.log(JSON.stringify(r)))';
  const out = await compose('exec', '-T', 'dashboard', 'node', '-e', script, JSON.stringify(urls));
  return JSON.parse(out) as { url: string; status: number; body: string }[];
}

/** Sum of a Prometheus counter over its label sets. */
function counter(metrics: string, name: string): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

let dashboardUrl = '';
let firstRun = '';

beforeAll(async () => {
  const root = process.cwd();
  await exec('git', ['clone', '--quiet', '--no-hardlinks', root, clone], { cwd: dir });
  figures.commit = (await exec('git', ['rev-parse', '--short', 'HEAD'])).trim();
});

afterAll(async () => {
  if (process.env.COMPOSE_TEST_KEEP !== '1') {
    await compose('down', '-v', '--remove-orphans').catch((err: Error) => {
      process.stderr.write(`cleanup: ${err.message}\n`);
    });
    // Each service's build leaves an untagged copy of the image once another takes the tag: only this project's.
    await exec(
      'docker',
      ['image', 'prune', '--force', '--filter', `label=com.docker.compose.project=${PROJECT}`],
      {
        cwd: dir,
      },
    ).catch(() => '');
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = [
    '',
    `test:compose: commit ${figures.commit}, project ${PROJECT}, ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
    ...timings.map(([name, s]) => `  ${name.padEnd(52)} ${s.toFixed(1).padStart(7)} s`),
    'figures:',
    ...Object.entries(figures).map(([k, v]) => `  ${k.padEnd(52)} ${String(v).padStart(9)}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
});

describe('the README Docker quick start, on a real engine', () => {
  it('follows the README: copy .env.example, build, up --scale worker=10', async () => {
    const readme = readFileSync(join(clone, 'README.md'), 'utf8');
    const block = /With Docker instead[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const lines = block.split('\n').filter((line) => line.trim());
    expect(lines[0]).toMatch(/^cp \.env\.example \.env && echo DASHBOARD_PASSWORD=change-me >> \.env$/);
    expect(lines).toContain(`docker compose up --scale worker=${WORKERS}`);
    await timed('cleanup of an earlier test project', async () => {
      await exec('sh', ['-c', lines[0] as string]);
      await compose('down', '-v', '--remove-orphans');
    });
    await timed('docker compose build', () => compose('build'));
    await timed(`docker compose up -d --scale worker=${WORKERS}`, () =>
      compose('up', '-d', '--scale', `worker=${WORKERS}`),
    );
  });

  it('runs every service healthy and ten workers; the producer enqueues its run and exits 0', async () => {
    await timed('services healthy, producer exited 0', async () => {
      const producer = await waitFor(
        'the producer to exit',
        async () => (await ps('producer')).find((c) => c.State === 'exited'),
        10 * 60_000,
      );
      expect(producer.ExitCode).toBe(0);
      const entries = await ps();
      for (const service of ['redis', 'llm-sim', 'agent-service', 'dashboard']) {
        const [one, ...more] = entries.filter((c) => c.Service === service);
        expect(more, service).toEqual([]);
        expect([one?.State, one?.Health], service).toEqual(['running', 'healthy']);
      }
      const workers = entries.filter((c) => c.Service === 'worker');
      expect(workers.map((c) => c.State)).toEqual(Array(WORKERS).fill('running'));
    });
    firstRun = (await redis('ZREVRANGE', `${PREFIX}:runs`, '0', '-1')).split('\n')[0] ?? '';
    expect(firstRun).not.toBe('');
  });

  it("completes the producer's run with every result recorded, on all ten workers", async () => {
    const state = await timed('first run completes', () => runDone(firstRun, 15 * 60_000));
    figures['first run: jobs / results recorded'] = `${state.queries}/${state.results}`;
    const workers = (await ps('worker')).map((c) => c.Name);
    const answers = await timed('workers /metrics inside the network', () =>
      fetchInside(workers.map((name) => `http://${name}:9464/metrics`)),
    );
    const perWorker = answers.map((a) => {
      expect(a.status, a.url).toBe(200);
      return counter(a.body, 'loadgen_worker_jobs_total');
    });
    figures['first run: jobs per worker'] = perWorker.join(',');
    expect(perWorker).toHaveLength(WORKERS);
    expect(
      perWorker.every((n) => n > 0),
      `jobs per worker: ${perWorker.join(', ')}`,
    ).toBe(true);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(state.queries);
  });

  it("answers the agent service's /metrics inside the network", async () => {
    const [agent] = await fetchInside(['http://agent-service:8000/metrics']);
    expect(agent?.status).toBe(200);
    expect(counter(agent?.body ?? '', 'loadgen_agent_chat_requests_total')).toBeGreaterThan(0);
  });

  it('has the dashboard answer 401 without credentials and serve the run with them', async () => {
    const port = (await compose('port', 'dashboard', '3000')).trim().split(':').pop();
    dashboardUrl = `http://127.0.0.1:${port}`;
    expect((await fetch(`${dashboardUrl}/runs/${firstRun}`)).status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
    const page = await fetch(`${dashboardUrl}/runs/${firstRun}`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(firstRun);
    const api = await fetch(`${dashboardUrl}/api/runs/${firstRun}`, { headers: auth });
    expect(api.status).toBe(200);
    expect(JSON.stringify(await api.json())).toContain('"done"');
  });

  it('loses and duplicates no result of a ~1,000-job run while two workers are killed and Redis restarts', async () => {
    expect(await redis('CONFIG', 'GET', 'appendonly')).toBe('appendonly\nyes');
    figures['chaos: redis appendonly'] = 'yes';
    const start = Date.now();
    await timed(`chaos: producer enqueues ${CHAOS_QUERIES} jobs`, () =>
      compose(
        'run',
        '--rm',
        '-T',
        '--no-deps',
        'producer',
        'run',
        '--queries',
        String(CHAOS_QUERIES),
        '--run-id',
        CHAOS_RUN,
      ),
    );
    const progress = (share: number) =>
      waitFor(
        `${share * 100}% of the chaos run`,
        async () => ((await runStatus(CHAOS_RUN)).results >= share * CHAOS_QUERIES ? true : undefined),
        10 * 60_000,
      );
    let kills = 0;
    let restarts = 0;
    await timed('chaos: kill two workers at 10%', async () => {
      await progress(0.1);
      const running = (await ps('worker')).filter((c) => c.State === 'running').slice(0, 2);
      expect(running).toHaveLength(2);
      for (const worker of running) {
        await exec('docker', ['kill', worker.ID]);
        kills += 1;
      }
    });
    await timed('chaos: restart redis at 30%', async () => {
      await progress(0.3);
      const before = (await runStatus(CHAOS_RUN)).results;
      figures['chaos: results when redis restarted'] = before;
      await compose('restart', 'redis');
      restarts += 1;
      // What was recorded before the restart is still there after it: the append-only file kept it.
      const after = await waitFor('redis after its restart', () => runStatus(CHAOS_RUN), 2 * 60_000);
      figures['chaos: results just after the restart'] = after.results;
      expect(after.results).toBeGreaterThanOrEqual(before);
    });
    const state = await timed('chaos: run completes', () => runDone(CHAOS_RUN, 20 * 60_000));
    const results = await redis('HGETALL', `${PREFIX}:run:${CHAOS_RUN}:results`);
    const fields = results.split('\n');
    const recorded = new Map<string, { seq: number; status: string }>();
    for (let i = 0; i + 1 < fields.length; i += 2) {
      recorded.set(
        fields[i] as string,
        JSON.parse(fields[i + 1] as string) as { seq: number; status: string },
      );
    }
    const log = (await redis('LRANGE', `${PREFIX}:run:${CHAOS_RUN}:result-log`, '0', '-1')).split('\n');
    const seqs = new Set([...recorded.values()].map((r) => r.seq));
    const lost = CHAOS_QUERIES - seqs.size;
    const duplicated = log.length - new Set(log).size;
    Object.assign(figures, {
      'chaos: jobs': CHAOS_QUERIES,
      'chaos: workers killed (docker kill)': kills,
      'chaos: redis restarts': restarts,
      'chaos: results recorded': recorded.size,
      'chaos: of them failed': [...recorded.values()].filter((r) => r.status === 'failed').length,
      'chaos: lost': lost,
      'chaos: duplicated (recorded twice)': duplicated,
      'chaos: wall time, s': ((Date.now() - start) / 1000).toFixed(0),
    });
    expect(state.results).toBe(CHAOS_QUERIES);
    expect(recorded.size).toBe(CHAOS_QUERIES);
    expect([...recorded.keys()].every((id) => id === `${CHAOS_RUN}.${recorded.get(id)?.seq}`)).toBe(true);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(log.length).toBe(CHAOS_QUERIES);
  });

  it('leaves no container after `docker compose down`; a second `up` reuses the volume and shows the earlier runs', async () => {
    await timed('docker compose down', () => compose('down'));
    const left = await exec('docker', [
      'ps',
      '--all',
      '--quiet',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
    ]);
    expect(left.trim()).toBe('');
    figures['containers left after down'] = 0;
    await timed('second up (dashboard and redis), healthy', () => compose('up', '-d', '--wait', 'dashboard'));
    const auth = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
    const list = await waitFor(
      'the dashboard after the second up',
      async () => {
        const res = await fetch(`${dashboardUrl}/api/runs`, { headers: auth });
        return res.ok ? JSON.stringify(await res.json()) : undefined;
      },
      2 * 60_000,
    );
    expect(list).toContain(firstRun);
    expect(list).toContain(CHAOS_RUN);
    expect((await runStatus(CHAOS_RUN)).results).toBe(CHAOS_QUERIES);
  });
});
