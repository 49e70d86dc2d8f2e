import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded random source: the same seed gives the same sequence. */
export class Random {
  private readonly rng: ReturnType<typeof xoroshiro128plus>;

  constructor(readonly seed: number) {
    this.rng = xoroshiro128plus(seed | 0);
  }

  /** A float in [0, 1). */
  next(): number {
    return uniformFloat64(this.rng);
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.rng, min, max);
  }

  bool(probability: number): boolean {
    return this.next() < probability;
  }

  /** Successes in `n` trials of probability `p` (n draws: for simulations of modest size). */
  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (this.next() < p) {
        k++;
      }
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new Error('pick from an empty list');
    }
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  /** An exponential draw of the given rate (inverse CDF): gaps between Poisson arrivals. */
  exponential(rate = 1): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** A standard normal draw (Box–Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** A 32-bit seed from a string (FNV-1a), so that seeds can be derived from ids. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
