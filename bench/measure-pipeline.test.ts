import { describe, expect, it } from 'vitest';
import { judge, type BenchLine } from './bench-table.js';
import { withFailures } from './measure-pipeline.js';

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
