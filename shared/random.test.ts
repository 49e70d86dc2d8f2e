import { describe, expect, it } from 'vitest';
import { Random, seedFromString } from './random.js';

describe('Random', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('draws integers in range and shuffles to a permutation', () => {
    const r = new Random(1);
    const draws = Array.from({ length: 1000 }, () => r.int(1, 6));
    expect(Math.min(...draws)).toBe(1);
    expect(Math.max(...draws)).toBe(6);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('derives stable seeds from strings', () => {
    expect(seedFromString('run-1')).toBe(seedFromString('run-1'));
    expect(seedFromString('run-1')).not.toBe(seedFromString('run-2'));
  });
});
