import { describe, expect, it } from 'vitest';
import { arrivalOffsets, expectedArrivals, parseDuration, parseStages, scheduleFrom } from './arrivals.js';

describe('arrival schedules', () => {
  it('parses k6 durations and stages', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('10 minutes')).toThrow(/not a duration/);
    expect(parseStages('30s:3,10m:3,1m:10')).toEqual([
      { durationMs: 30_000, target: 3 },
      { durationMs: 600_000, target: 3 },
      { durationMs: 60_000, target: 10 },
    ]);
    expect(() => parseStages('30s')).toThrow(/duration:target/);
    expect(() => parseStages('30s:-1')).toThrow(/duration:target/);
  });

  it('spaces a constant rate evenly', () => {
    const schedule = scheduleFrom({ rate: 4, durationMs: 2000 });
    expect(arrivalOffsets(schedule!, 1)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    expect(scheduleFrom({})).toBeUndefined();
    expect(() => scheduleFrom({ rate: 4 })).toThrow(/--duration/);
  });

  it('ramps like k6 ramping-arrival-rate: arrivals follow the integral of the rate', () => {
    const schedule = scheduleFrom({ stages: parseStages('10s:10,10s:10,10s:0') })!;
    expect(expectedArrivals(schedule)).toBe(50 + 100 + 50);
    const offsets = arrivalOffsets(schedule, 1);
    expect(offsets).toHaveLength(200);
    const inWindow = (from: number, to: number) => offsets.filter((t) => t >= from && t < to).length;
    expect(inWindow(0, 10_000)).toBe(50);
    expect(inWindow(10_000, 20_000)).toBe(100);
    expect(inWindow(20_000, 30_000)).toBe(50);
    // The first ramp is quadratic: a quarter of its arrivals in its first half.
    expect(inWindow(0, 5000)).toBeCloseTo(12.5, -0.5);
  });

  it('draws seeded Poisson arrivals whose count is near the expected and whose gaps are exponential', () => {
    const schedule = scheduleFrom({ arrival: 'poisson', rate: 50, durationMs: 60_000 })!;
    const a = arrivalOffsets(schedule, 42);
    expect(arrivalOffsets(schedule, 42)).toEqual(a);
    expect(arrivalOffsets(schedule, 43)).not.toEqual(a);
    expect(Math.abs(a.length - 3000) / 3000).toBeLessThan(0.05);
    const gaps = a.slice(1).map((t, i) => t - (a[i] as number));
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(19);
    expect(mean).toBeLessThan(21);
    // Exponential gaps: about e^-1 of them exceed the mean.
    expect(gaps.filter((g) => g > 20).length / gaps.length).toBeCloseTo(Math.exp(-1), 1);
    expect(a.every((t, i) => i === 0 || t >= (a[i - 1] as number))).toBe(true);
  });

  it('stops at the limit', () => {
    expect(arrivalOffsets(scheduleFrom({ rate: 100, durationMs: 60_000 })!, 1, 5)).toHaveLength(5);
  });
});
