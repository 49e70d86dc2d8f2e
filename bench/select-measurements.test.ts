import { describe, expect, it } from 'vitest';
import { selectMeasurements } from './select-measurements.js';

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

describe('selectMeasurements', () => {
  it('runs everything without --only, and the whole 500 ms run whenever one of its lines is asked for', () => {
    expect(sorted(selectMeasurements(undefined))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sorted(selectMeasurements('2'))).toEqual([2]);
    expect(sorted(selectMeasurements('8'))).toEqual([3, 7, 8, 9]);
    expect(sorted(selectMeasurements('2, 3'))).toEqual([2, 3, 7, 8, 9]);
    expect(sorted(selectMeasurements('1,6'))).toEqual([1, 6]);
  });

  it('names the option on a number it does not know', () => {
    expect(() => selectMeasurements('10')).toThrow('--only: give measurement numbers from 1 to 9');
    expect(() => selectMeasurements('two')).toThrow('(got "two")');
  });
});
