import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Pids of live processes whose environment holds `marker` (children inherit it from `loadgen start`). */
function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) {
        pids.push(Number(entry));
      }
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

describe('loadgen start (built CLI, no Docker)', () => {
  it('runs the whole topology, prints both readouts and leaves no child process behind', async () => {
    const marker = `LOADGEN_START_TEST=${randomUUID()}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'warn',
      [marker.split('=')[0] as string]: marker.split('=')[1],
    };
    for (const name of [
      'REDIS_URL',
      'LLM_SIM_URL',
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'MISTRAL_API_KEY',
      'LD_SDK_KEY',
    ]) {
      delete env[name];
    }
    const child = spawn(
      process.execPath,
      [
        'dist/cli.js',
        'start',
        '--queries',
        '40',
        '--workers',
        '3',
        '--exit',
        '--zero-latency',
        '--dashboard-port',
        '0',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code, output).toBe(0);
    expect(output).toContain('40 queries enqueued');
    expect(output).toMatch(/Records 40 of 40 queries/);
    expect(output).toContain('Security Level (security-level)');
    expect(output).toContain('Premium Model Value (premium-model-value)');
    expect(output.match(/^ {2}decision: /gm)).toHaveLength(2);
    expect(processesWithMarker(marker), 'child processes still running').toEqual([]);
  }, 180_000);
});
