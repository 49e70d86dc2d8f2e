import { describe, expect, it } from 'vitest';
import { formatDuration, formatLive, LiveRate } from './live-stats.js';

describe('live stats', () => {
  it('smooths the rate so a burst does not make the ETA jump', () => {
    const live = new LiveRate(600, 0);
    // 10 results/s for 10 s, then one poll with a burst of 40 in 0.5 s, then steady again.
    let s = live.sample(0, 0);
    for (let t = 1; t <= 10; t++) {
      s = live.sample(10 * t, t * 1000);
    }
    expect(s.rate).toBeCloseTo(10);
    expect(s.etaMs).toBeCloseTo(50_000);
    s = live.sample(140, 10_500);
    // Unsmoothed the rate would be 80/s (ETA 6 s); smoothed it moves by a fifth of the difference.
    expect(s.rate).toBeCloseTo(24);
    expect(s.elapsedMs).toBe(10_500);
    expect(formatLive(s)).toMatch(/^elapsed 11s {2}24\.0 jobs\/s {2}eta 19s$/);
  });

  it('knows no ETA before the first result', () => {
    expect(new LiveRate(10, 0).sample(0, 0).etaMs).toBeNull();
    expect(formatDuration(65_000)).toBe('1m05s');
  });
});
