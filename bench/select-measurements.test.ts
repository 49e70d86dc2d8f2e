import { describe, expect, it } from 'vitest';
import { selectMeasurements } from './select-measurements.js';

describe('selectMeasurements', () => {
  it('runs everything without --only, and the ceiling (1) whenever the ratio (2) is asked for', () => {
    expect([...selectMeasurements(undefined)].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...selectMeasurements('2')].sort()).toEqual([1, 2]);
    expect([...selectMeasurements('2, 3')].sort()).toEqual([1, 2, 3]);
    expect([...selectMeasurements('3,6')].sort()).toEqual([3, 6]);
  });

  it('names the option on a number it does not know', () => {
    expect(() => selectMeasurements('7')).toThrow('--only: give measurement numbers from 1 to 6');
    expect(() => selectMeasurements('two')).toThrow('(got "two")');
  });
});
