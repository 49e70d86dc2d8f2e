import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticRecords } from '../readout/index.js';
import type { BenchLine } from './bench-table.js';
import { CLI } from './child-process.js';

/** A `loadgen export`-shaped file of `records` synthetic records over both experiments' flags. */
async function writeExport(path: string, records: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk = '';
  for (const record of syntheticRecords({
    seed: 5,
    users: records / 2,
    requestsPerUser: 2,
    runId: 'bench-readout',
    failureRate: 0.01,
    judgeErrorRate: 0.01,
    flags: {
      'security-agent': {
        baseline: { positive: 0.5, negative: 0.2, durationMs: 500, tokens: 400, costUsd: 0.01 },
        enhanced: { positive: 0.56, negative: 0.18, durationMs: 560, tokens: 420, costUsd: 0.0103 },
      },
      'support-agent': {
        'other-paid': { positive: 0.5, durationMs: 900, tokens: 1500, costUsd: 0.02 },
        'claude-opus-treatment': { positive: 0.6, durationMs: 1500, tokens: 1800, costUsd: 0.09 },
      },
    },
  })) {
    chunk += `${JSON.stringify(record)}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) {
        await once(out, 'drain');
      }
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
}

/** Runs `node dist/cli.js report --input FILE` (output discarded) and resolves with its wall time, s. */
function timeReport(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, 'report', '--input', path], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) {
        resolve((performance.now() - started) / 1000);
      } else {
        reject(new Error(`loadgen report exited with ${code}: ${stderr.trim()}`));
      }
    });
  });
}

/** (6) `loadgen report --input` of a 100,000-record export, process start to exit. */
export async function measureReadout(records = 100_000): Promise<BenchLine> {
  const dir = mkdtempSync(join(tmpdir(), 'loadgen-bench-export-'));
  try {
    const path = join(dir, 'export.jsonl');
    await writeExport(path, records);
    const seconds = await timeReport(path);
    return {
      id: 6,
      name: `loadgen report --input of a ${records.toLocaleString('en-US')}-record export`,
      value: seconds,
      unit: 's',
      target: { op: '<=', value: 5 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
