import { describe, expect, it } from 'vitest';
import { costCentre, summarizeProfile, type CpuProfile } from './profile-summary.js';

const frame = (functionName: string, url: string) => ({ functionName, url });

describe('profile summary', () => {
  it('charges a frame to its package, Node module, project folder or V8 bucket', () => {
    expect(costCentre(frame('x', 'file:///app/node_modules/@langchain/core/dist/a.js'))).toBe(
      '@langchain/core',
    );
    expect(costCentre(frame('x', 'file:///app/node_modules/openai/core.mjs'))).toBe('openai');
    expect(costCentre(frame('x', 'node:internal/streams/writable'))).toBe('node:internal');
    expect(costCentre(frame('run', 'file:///app/dist/worker/judge.js'))).toBe('worker');
    expect(costCentre(frame('(garbage collector)', ''))).toBe('(garbage collector)');
  });

  it('sums self time per centre, largest first, with shares of the busy time (idle left out)', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)', '') },
        { id: 2, callFrame: frame('a', 'file:///x/node_modules/openai/a.js') },
        { id: 3, callFrame: frame('b', 'file:///x/node_modules/openai/b.js') },
        { id: 4, callFrame: frame('(garbage collector)', '') },
      ],
      samples: [1, 2, 3, 4, 1, 2],
      timeDeltas: [5000, 1000, 2000, 1000, 5000, 1000],
    };
    expect(summarizeProfile(profile)).toEqual([
      { name: 'openai', ms: 4, share: 0.8 },
      { name: '(garbage collector)', ms: 1, share: 0.2 },
    ]);
  });
});
