import { describe, expect, it } from 'vitest';
import { describeZodError } from './errors.js';
import { queryJobId, QueryJobSchema } from './query-job.js';

const valid = {
  runId: 'run-2026_11',
  seq: 3,
  query: 'How does temporal-difference learning update values?',
  topic: 'temporal-difference learning',
  complexity: 'intermediate',
  piiInjected: false,
  user: { key: 'user-1', country: 'US', plan: 'paid', region: 'north-america', tier: 'gold' },
};

describe('query job schema', () => {
  it('accepts a valid job, keeping extra user attributes', () => {
    const job = QueryJobSchema.parse(valid);
    expect(job.user.tier).toBe('gold');
  });

  it.each([
    [{ runId: 'has space' }, 'runId'],
    [{ runId: 'a'.repeat(65) }, 'runId'],
    [{ seq: -1 }, 'seq'],
    [{ seq: 1.5 }, 'seq'],
    [{ query: '' }, 'query'],
    [{ query: '   ' }, 'query'],
    [{ query: 'x'.repeat(5001) }, 'query'],
    [{ complexity: 'expert' }, 'complexity'],
    [{ piiInjected: 'yes' }, 'piiInjected'],
    [{ user: { country: 'US' } }, 'user.key'],
    [{ user: { key: '' } }, 'user.key'],
    [{ user: { key: 'u', country: 'usa' } }, 'user.country'],
    [{ user: { key: 'u', plan: 'gold' } }, 'user.plan'],
    [{ user: { key: 'u', nested: { a: 1 } } }, 'user.nested'],
    [{ user: 'u1' }, 'user'],
    [{ user: { key: 'u', kind: 'org' } }, 'user.kind'],
    [{ user: { key: 'u', _meta: 'x' } }, 'user._meta'],
    [{ user: { key: 'u', anonymous: 'yes' } }, 'user.anonymous'],
    [{ priority: 1 }, 'priority'],
  ])('rejects %j naming %s', (patch, field) => {
    const result = QueryJobSchema.safeParse({ ...valid, ...patch });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(describeZodError(result.error)).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
  });

  it('rejects unknown top-level fields, naming each (a name cut to 64 characters)', () => {
    const result = QueryJobSchema.safeParse({ ...valid, extra: 'x'.repeat(5 << 20), ['k'.repeat(1000)]: 1 });
    expect(result.success || describeZodError(result.error)).toBe(
      `extra: unknown field; ${'k'.repeat(64)}: unknown field`,
    );
  });

  it('builds job ids that BullMQ accepts and that identify the run and sequence', () => {
    expect(queryJobId('run-1', 42)).toBe('run-1.42');
  });
});
