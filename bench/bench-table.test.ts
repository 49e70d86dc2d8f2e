import { describe, expect, it } from 'vitest';
import { formatNumber, formatTable, judge, toJson, type BenchLine } from './bench-table.js';

const line = (over: Partial<BenchLine>): BenchLine => ({
  id: 1,
  name: 'm',
  value: 1,
  unit: 'ratio',
  ...over,
});

describe('judge', () => {
  it('passes at the target and fails just past it, in both directions', () => {
    expect(judge(line({ value: 0.05, target: { op: '>=', value: 0.05 } })).verdict).toBe('PASS');
    expect(judge(line({ value: 0.0499, target: { op: '>=', value: 0.05 } })).verdict).toBe('FAIL');
    expect(judge(line({ value: 300, target: { op: '<=', value: 300 } })).verdict).toBe('PASS');
    expect(judge(line({ value: 300.1, target: { op: '<=', value: 300 } })).verdict).toBe('FAIL');
  });

  it('reports a line without a figure, or with an error, as ERROR and one without a target as INFO', () => {
    expect(judge(line({ value: null, target: { op: '<=', value: 5 } })).verdict).toBe('ERROR');
    expect(judge(line({ value: Number.NaN, target: { op: '<=', value: 5 } })).verdict).toBe('ERROR');
    expect(judge(line({ value: 2, error: 'redis died', target: { op: '<=', value: 5 } })).verdict).toBe(
      'ERROR',
    );
    expect(judge(line({ value: 4200 })).verdict).toBe('INFO');
  });
});

describe('formatNumber', () => {
  it('keeps three significant digits below 100 and groups thousands above', () => {
    expect(formatNumber(0.031234)).toBe('0.0312');
    expect(formatNumber(1.5)).toBe('1.5');
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(0)).toBe('0');
  });
});

describe('formatTable', () => {
  const lines = [
    judge(line({ id: 1, name: 'ceiling', value: 4321.7, unit: 'jobs/s' })),
    judge(
      line({
        id: 2,
        name: 'pipeline',
        value: 0.031,
        target: { op: '>=', value: 0.05 },
        details: { 'jobs/s': 134, jobs: 5000 },
      }),
    ),
    judge(line({ id: 5, name: 'memory', value: 212, unit: 'MB', target: { op: '<=', value: 300 } })),
    judge(
      line({ id: 6, name: 'readout', value: null, unit: 's', target: { op: '<=', value: 5 }, error: 'boom' }),
    ),
  ];
  const table = formatTable(lines, 301.4);
  const rows = table.split('\n');

  it('prints every line with its figure, target and verdict, columns aligned', () => {
    const row = (id: string) => rows.find((r) => r.startsWith(`${id} `)) ?? '';
    expect(row('1')).toMatch(/ceiling\s+4,322 jobs\/s\s+\(reference\)\s+INFO$/);
    expect(row('2')).toMatch(/pipeline\s+0\.031\s+>= 0\.05\s+FAIL$/);
    expect(row('5')).toMatch(/memory\s+212 MB\s+<= 300 MB\s+PASS$/);
    expect(row('6')).toMatch(/readout\s+-\s+<= 5 s\s+ERROR$/);
    const resultColumn = ['1', '2', '5', '6'].map((id) => row(id).search(/(INFO|FAIL|PASS|ERROR)$/));
    expect(new Set(resultColumn).size).toBe(1);
  });

  it('puts details and errors under their line and a summary at the end', () => {
    expect(rows[rows.findIndex((r) => r.startsWith('2 ')) + 1]).toBe('     jobs/s 134, jobs 5,000');
    expect(rows[rows.findIndex((r) => r.startsWith('6 ')) + 1]).toBe('     error: boom');
    expect(table.trimEnd().split('\n').at(-1)).toBe('1 passed, 1 failed, 1 not measured, in 301 s');
  });

  it('wraps long details at 110 characters, between items', () => {
    const details = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`CPU ms/job process-${i}`, 1.5]),
    );
    const wrapped = formatTable([judge(line({ id: 2, name: 'pipeline', value: 0.01, details }))])
      .split('\n')
      .filter((r) => r.startsWith('     '));
    expect(wrapped.length).toBeGreaterThan(1);
    expect(wrapped.every((r) => r.length <= 115 && !r.trimEnd().endsWith(','))).toBe(true);
    expect(wrapped.join(', ').replace(/\s+/g, ' ')).toContain('process-0 1.5, CPU ms/job process-1 1.5');
    expect(wrapped.join(' ').match(/process-\d+ 1\.5/g)).toHaveLength(12);
  });

  it('has a JSON form with every line and its verdict', () => {
    const parsed = JSON.parse(toJson(lines, { elapsedSeconds: 3, cpus: 2, node: 'v20' })) as {
      lines: { id: number; verdict: string; value: number | null }[];
      cpus: number;
    };
    expect(parsed.cpus).toBe(2);
    expect(parsed.lines.map((l) => [l.id, l.verdict, l.value])).toEqual([
      [1, 'INFO', 4321.7],
      [2, 'FAIL', 0.031],
      [5, 'PASS', 212],
      [6, 'ERROR', null],
    ]);
  });
});
