import { describe, expect, it } from 'vitest';
import { formatCounts, formatDuration, formatLive, LiveRate } from './live-stats.js';

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

  it('shows in flight, failures by reason, jobs not run, spend against the budget and users per arm', () => {
    const line = formatCounts({
      inFlight: 7,
      completed: 90,
      failures: [
        { reason: 'agent service: HTTP 503', count: 4 },
        { reason: 'chat: timeout after N ms', count: 2 },
        { reason: 'judge: HTTP 429', count: 1 },
        { reason: 'other', count: 1 },
      ],
      dropped: 3,
      removed: 0,
      spendUsd: 0.1234,
      budgetUsd: 5,
      usersPerArm: { 'support-agent/control': 40, 'support-agent/treatment': 38 },
    });
    expect(line).toBe(
      'in flight 7  failed 8 (4× agent service: HTTP 503, 2× chat: timeout after N ms, 1× judge: HTTP 429, …)' +
        '  dropped 3  removed 0  spend $0.1234 of $5' +
        '  users/arm support-agent/control 40, support-agent/treatment 38',
    );
    const quiet = formatCounts({
      inFlight: 0,
      completed: 0,
      failures: [],
      dropped: 0,
      removed: 0,
      spendUsd: 0,
      budgetUsd: null,
      usersPerArm: {},
    });
    expect(quiet).toBe('in flight 0  failed 0  spend $0.0000');
  });
});
