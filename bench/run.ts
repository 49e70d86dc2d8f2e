/**
 * `npm run bench`: measures the harness's own cost and the pipeline's limits on this machine, all in one run,
 * and prints one line per measurement with its figure, target and PASS/FAIL (`--json` for machines).
 *
 *   --json           print the result as JSON on stdout (progress still goes to stderr)
 *   --only 1,3       run only these measurements (3, 7, 8 and 9 come from one run: any of them runs all four)
 *   --profile DIR    write CPU profiles (--cpu-prof) of the worker and agent-service processes to DIR
 *   --check          exit 3 when a line fails its target (1 stays "could not measure")
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { formatTable, judge, toJson, type BenchLine } from './bench-table.js';
import { EventSink } from './event-sink.js';
import { measureCeiling } from './measure-ceiling.js';
import { measureEnqueue } from './measure-enqueue.js';
import { measureMemory } from './measure-memory.js';
import { measureAtLatency, measureHarnessCost } from './measure-harness.js';
import { measureReadout } from './measure-readout.js';
import { describeProfiles } from './profile-summary.js';
import { MEASUREMENTS, selectMeasurements } from './select-measurements.js';
import { RedisServer } from '../shared/redis-server.js';

const NAMES = MEASUREMENTS;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'string' },
      check: { type: 'boolean', default: false },
    },
  });
  const selected = selectMeasurements(values.only);
  const wanted = (id: number) => selected.has(id);
  const started = performance.now();
  const redis = await RedisServer.start();
  const sink = await EventSink.start();
  const common = { redisUrl: redis.url, eventsUrl: sink.url, cpuProfDir: values.profile };
  const lines: BenchLine[] = [];

  /** Runs the measurement of lines `ids` (one run may give several); a failure makes each of them an ERROR. */
  const step = async (ids: number[], fn: () => Promise<BenchLine | BenchLine[]>) => {
    if (!ids.some(wanted)) {
      return;
    }
    const label = ids.map((id) => `(${id})`).join(' ');
    progress(`${label} ${ids.map((id) => NAMES[id]).join(', ')} ...`);
    const stepStarted = performance.now();
    try {
      lines.push(...[await fn()].flat());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      lines.push(
        ...ids.map((id) => ({ id, name: NAMES[id] ?? String(id), value: null, unit: '', error: message })),
      );
    }
    progress(`${label} done in ${((performance.now() - stepStarted) / 1000).toFixed(1)} s`);
  };

  try {
    await step([1], async () => (await measureCeiling(redis.url)).line);
    await step([2], () => measureHarnessCost(common));
    await step([3, 7, 8, 9], () => measureAtLatency(common));
    await step([5], () => measureMemory(common));
    // Last of the Redis measurements: it empties the database on each side of its comparison.
    await step([4], () => measureEnqueue(redis.url));
    await step([6], () => measureReadout());
  } finally {
    await sink.close();
    await redis.stop();
  }

  const judged = lines.sort((a, b) => a.id - b.id).map(judge);
  const elapsedSeconds = (performance.now() - started) / 1000;
  process.stdout.write(
    values.json
      ? toJson(judged, { elapsedSeconds, cpus: cpus().length, node: process.version })
      : formatTable(judged, elapsedSeconds),
  );
  if (values.profile) {
    progress(
      `CPU profiles in ${values.profile} (open in Chrome DevTools or speedscope); self time, idle left out:`,
    );
    process.stderr.write(`${describeProfiles(values.profile)}\n`);
  }
  if (judged.some((l) => l.verdict === 'ERROR')) {
    return 1;
  }
  return values.check && judged.some((l) => l.verdict === 'FAIL') ? 3 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
