import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/errors.js';
import { parseRunOptions, parseSegmentMix } from './options.js';

describe('run options', () => {
  it('applies defaults and coerces the strings the CLI passes', () => {
    expect(parseRunOptions({})).toMatchObject({
      queries: 200,
      piiPercentage: 15,
      segments: { 'other-paid': 1 },
      topics: 'auto',
      dryRun: false,
    });
    expect(
      parseRunOptions({ queries: '50', seed: '7', segments: 'other-paid=0.5,eu-paid=0.5' }),
    ).toMatchObject({
      queries: 50,
      seed: 7,
      segments: { 'other-paid': 0.5, 'eu-paid': 0.5 },
    });
  });

  it.each([
    [
      { queries: 'lots' },
      /queries \(--queries\): must be auto or an integer from 1 to 1000000 \(got "lots"\)/,
    ],
    [{ queries: 0 }, /queries \(--queries\)/],
    [{ queries: 2.5 }, /queries \(--queries\)/],
    [{ piiPercentage: 101 }, /piiPercentage \(--pii-percentage\): must be a number from 0 to 100/],
    [{ runId: 'has.dot' }, /runId \(--run-id\): must be 1-64 letters/],
    [{ budgetUsd: -1 }, /budgetUsd \(--budget-usd\): must be above 0/],
  ])('rejects %j naming the option', (input, message) => {
    expect(() => parseRunOptions(input)).toThrow(ConfigError);
    expect(() => parseRunOptions(input)).toThrow(message);
  });

  it.each([
    ['other-paid=abc', /"other-paid=abc" is not segment=weight/],
    ['other-paid=-1', /is not segment=weight/],
    ['=0.5', /is not segment=weight/],
    ['a=1,a=2', /segment "a" is listed twice/],
    ['other-paid=0', /at least one segment with a weight above 0/],
    [',', /at least one segment/],
  ])('rejects the segment spec %s', (spec, message) => {
    expect(() => parseSegmentMix(spec)).toThrow(message);
  });

  it('reads a bare segment name as weight 1', () => {
    expect(parseSegmentMix('other-paid, eu-paid=3')).toEqual({ 'other-paid': 1, 'eu-paid': 3 });
  });

  it('reads open-model options: k6 durations and stages, constant or Poisson arrivals', () => {
    expect(parseRunOptions({ rate: '3', duration: '10m', arrival: 'poisson' })).toMatchObject({
      rate: 3,
      duration: 600_000,
      arrival: 'poisson',
      dropAfter: 5000,
    });
    expect(parseRunOptions({ stages: '30s:3,1m:10', dropAfter: '2s' })).toMatchObject({
      stages: [
        { durationMs: 30_000, target: 3 },
        { durationMs: 60_000, target: 10 },
      ],
      dropAfter: 2000,
    });
    expect(() => parseRunOptions({ rate: 3 })).toThrow(/--rate needs --duration/);
    expect(() => parseRunOptions({ duration: '1m' })).toThrow(/--duration needs --rate/);
    expect(() => parseRunOptions({ stages: '30s' })).toThrow(/stages.*duration:target/);
    expect(() => parseRunOptions({ rate: 3, duration: 'soon' })).toThrow(/not a duration/);
    expect(() => parseRunOptions({ rate: 3, duration: '1m', fromFile: 'x.jsonl' })).toThrow(/--from-file/);
  });
});
