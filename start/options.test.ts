import { describe, expect, it } from 'vitest';
import { StartOptionsSchema } from './options.js';

const base = {
  queries: '10',
  workers: '1',
  concurrency: '1',
  dashboardPort: '0',
  seed: '1',
  exit: true,
  zeroLatency: true,
  doctor: false,
  stopWhenDecided: false,
  decideEvery: '10',
};

describe('start options', () => {
  it('checks the open-model options before anything starts', () => {
    expect(StartOptionsSchema.safeParse({ ...base, rate: '3', duration: '1m' }).success).toBe(true);
    expect(StartOptionsSchema.safeParse({ ...base, rate: '3', stages: '30s:3,1m:10' }).success).toBe(true);
    expect(StartOptionsSchema.safeParse({ ...base, rate: '3', duration: 'soon' }).error?.message).toMatch(
      /not a duration/,
    );
    expect(StartOptionsSchema.safeParse({ ...base, rate: '3' }).error?.message).toMatch(/--rate needs/);
  });
});
