import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../shared/result-record.js';
import { CSV_COLUMNS, csvHeader, csvRow } from './csv.js';

describe('csv export', () => {
  it('flattens a record into one quoted row under the header', () => {
    const record: ResultRecord = {
      jobId: 'r.1',
      runId: 'r',
      seq: 1,
      status: 'failed',
      error: 'chat: "bad", then\nstack',
      userKey: 'u1',
      variations: { 'support-agent': 'a', 'security-agent': 'b' },
      served: [],
      route: ['supervisor', 'support'],
      latencyMs: 120,
      tokens: { input: 3, output: 4, total: 7 },
      requestCostUsd: null,
      unpricedModels: [],
      harnessCostUsd: 0,
      feedback: null,
      attempts: 2,
      finishedAt: 5,
    };
    expect(csvHeader()).toBe(`${CSV_COLUMNS.join(',')}\n`);
    const row = csvRow(record);
    expect(row).toBe(
      'r.1,r,1,failed,"chat: ""bad"", then\nstack",u1,,,,,support-agent=a;security-agent=b,supervisor>support,' +
        '120,,,3,4,7,,0,,2,5\n',
    );
  });
});
