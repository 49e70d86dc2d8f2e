import { describe, expect, it } from 'vitest';
import { mapLimit } from './map-limit.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('mapLimit', () => {
  it('keeps input order with at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await Promise.resolve();
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('starts nothing after a call fails, waits for the calls in flight, then throws the first error', async () => {
    const calls = Array.from({ length: 10 }, () => deferred<number>());
    const started: number[] = [];
    const finished: number[] = [];
    const result = mapLimit(calls, 3, async (call, i) => {
      started.push(i);
      const value = await call.promise;
      finished.push(i);
      return value;
    });
    expect(started).toEqual([0, 1, 2]);
    calls[1]?.reject(new Error('boom'));
    let settled = false;
    void result.catch(() => (settled = true));
    // Flush microtasks: the failed runner must not pick up item 3.
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
    expect(started).toEqual([0, 1, 2]);
    expect(settled).toBe(false);
    calls[0]?.resolve(0);
    calls[2]?.resolve(2);
    await expect(result).rejects.toThrow('boom');
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 2]);
  });
});
