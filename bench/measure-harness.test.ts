import { describe, expect, it } from 'vitest';
import { judge, type BenchLine } from './bench-table.js';
import { harnessCpu, percentile, withFailures } from './measure-harness.js';

const line: BenchLine = {
  id: 2,
  name: 'harness CPU',
  value: 1200,
  unit: 'jobs/core-s',
  target: { op: '>=', value: 1000 },
  details: { 'failed jobs': 0 },
};

describe('withFailures', () => {
  it('makes a line with failed jobs an ERROR however good its figure, and leaves a clean one alone', () => {
    expect(judge(withFailures(0, line)).verdict).toBe('PASS');
    const failed = judge(withFailures(12, { ...line, details: { 'failed jobs': 12 } }));
    expect(failed.verdict).toBe('ERROR');
    expect(failed.error).toBe('12 job(s) failed: the figure counts them as done');
    expect(withFailures(3, { ...line, error: 'stub died' }).error).toBe('stub died');
  });
});

describe('harnessCpu', () => {
  it('sums workers, counts workers, producer and Redis as the harness and the stand-ins apart', () => {
    const cpu = harnessCpu(
      {
        processes: {
          'chat-stub': 300,
          'llm-sim': 900,
          'worker-1': 1000,
          'worker-2': 1500,
          redis: 400,
          producer: 300,
        },
        machineBusy: 0.9,
        cores: 2,
      },
      1000,
    );
    expect(cpu.msPerJob).toBeCloseTo(3.2);
    expect(cpu.perJob.workers).toBe(2.5);
    expect(Object.keys(cpu.details)).toEqual([
      'harness CPU ms/job',
      'CPU ms/job workers',
      'CPU ms/job redis',
      'CPU ms/job producer',
      '(stand-in) CPU ms/job llm-sim',
      '(stand-in) CPU ms/job chat-stub',
      'machine busy %',
    ]);
    expect(cpu.details['machine busy %']).toBe(90);
  });
});

describe('percentile', () => {
  it('takes the nearest rank, whatever the order, and is NaN without values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});
