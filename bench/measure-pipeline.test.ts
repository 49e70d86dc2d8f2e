import { describe, expect, it } from 'vitest';
import { judge, type BenchLine } from './bench-table.js';
import { cpuDetails, withFailures } from './measure-pipeline.js';

const line: BenchLine = {
  id: 2,
  name: 'pipeline throughput',
  value: 0.08,
  unit: 'ratio',
  target: { op: '>=', value: 0.05 },
  details: { 'failed jobs': 0 },
};

describe('withFailures', () => {
  it('makes a line with failed jobs an ERROR however good its figure, and leaves a clean one alone', () => {
    expect(judge(withFailures(0, line)).verdict).toBe('PASS');
    const failed = judge(withFailures(12, { ...line, details: { 'failed jobs': 12 } }));
    expect(failed.verdict).toBe('ERROR');
    expect(failed.error).toBe('12 job(s) failed: the figure counts them as done');
    // An earlier error (no ceiling) is kept, not overwritten.
    expect(withFailures(3, { ...line, error: 'no ceiling (1) to compare with' }).error).toBe(
      'no ceiling (1) to compare with',
    );
  });
});

describe('cpuDetails', () => {
  it('sums workers, sorts processes by cost and derives the CPU-bound throughput of the cores', () => {
    const details = cpuDetails(
      {
        processes: { 'agent-service': 5000, 'worker-1': 1000, 'worker-2': 1500, redis: 500, producer: 2000 },
        machineBusy: 0.9,
        cores: 2,
      },
      1000,
    );
    expect(Object.keys(details)).toEqual([
      'CPU ms/job agent-service',
      'CPU ms/job workers',
      'CPU ms/job producer',
      'CPU ms/job redis',
      'CPU ms/job total',
      'machine busy %',
      'CPU-bound jobs/s (2 cores)',
    ]);
    expect(details['CPU ms/job workers']).toBe(2.5);
    expect(details['CPU ms/job total']).toBe(10);
    expect(details['machine busy %']).toBe(90);
    expect(details['CPU-bound jobs/s (2 cores)']).toBe(200);
  });
});
