import { describe, expect, it } from 'vitest';
import { loadProfile } from '../llm-sim/index.js';
import { SimState } from '../llm-sim/sim-state.js';

describe('llm-sim state', () => {
  it('remembers a bounded number of bodies, forgetting the least recently seen', () => {
    const state = new SimState(loadProfile(), 1, 10, 2);
    const draw = (body: string) => state.randomFor(body).next();
    const firstA = draw('a');
    const firstB = draw('b');
    // Within the window a repeated body draws anew.
    const secondA = draw('a');
    expect(secondA).not.toBe(firstA);
    // 'c' pushes out 'b', the least recently seen ('a' was seen after it).
    draw('c');
    expect(draw('b')).toBe(firstB);
    // Seeing 'b' again pushed out 'a' in turn: it counts from 0 again.
    expect(draw('a')).toBe(firstA);
  });

  it('ends a hang at once when the client has already gone', async () => {
    const state = new SimState(loadProfile(), 1);
    await expect(state.hang(AbortSignal.abort())).resolves.toBeUndefined();
    const controller = new AbortController();
    const pending = state.hang(controller.signal);
    controller.abort();
    await expect(pending).resolves.toBeUndefined();
  }, 5_000);
});
