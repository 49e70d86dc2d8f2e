import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../paths.js';
import { loadExperiments } from './experiments.js';
import { ReadoutError } from './readout-error.js';

const dir = mkdtempSync(join(tmpdir(), 'loadgen-experiments-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shipped = readFileSync(dataPath('experiments.yaml'), 'utf8');

/** The shipped file with one text replaced, written to a temp file. */
function variant(from: string | RegExp, to: string): string {
  const text = shipped.replace(from, to);
  expect(text).not.toBe(shipped);
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('loadExperiments against the manifest', () => {
  it('accepts the shipped experiments', () => {
    expect(loadExperiments().map((e) => e.id)).toEqual(['security-level', 'premium-model-value']);
  });

  it.each([
    [
      'flag',
      'flag: security-agent',
      'flag: securty-agent',
      'experiment "security-level": flag "securty-agent" is not an AI Config of the manifest (known: supervisor-agent, security-agent, support-agent)',
    ],
    [
      'control',
      // The split must name the control too: the typo in both places.
      /control: baseline\n([\s\S]*?)split: \{ baseline:/,
      'control: basline\n$1split: { basline:',
      'experiment "security-level": control "basline" is not a variation of security-agent (known: baseline, enhanced)',
    ],
    [
      'treatment',
      /treatment: claude-opus-treatment\n([\s\S]*?)claude-opus-treatment: 50/,
      'treatment: claude-opus\n$1claude-opus: 50',
      'experiment "premium-model-value": treatment "claude-opus" is not a variation of support-agent',
    ],
    [
      'audience',
      'audience: { segment: other-paid }\n    split: { baseline',
      'audience: { segment: other-payd }\n    split: { baseline',
      'experiment "security-level": audience segment "other-payd" is not a segment of the manifest',
    ],
    [
      'split',
      'split: { baseline: 50, enhanced: 50 }',
      'split: { baseline: 90, enhanced: 10 }',
      `experiment "security-level": split {"baseline":90,"enhanced":10} differs from the manifest's rollout of security-agent for other-paid {"baseline":50,"enhanced":50}`,
    ],
  ])('names the experiment and the key on a %s the manifest does not have', (_what, from, to, message) => {
    const path = variant(from, to);
    expect(() => loadExperiments(path)).toThrow(ReadoutError);
    expect(() => loadExperiments(path)).toThrow(message);
    expect(() => loadExperiments(path)).toThrow(`experiments file ${path} does not match the manifest`);
  });

  it('takes the same split in other units (1:1 is 50/50)', () => {
    const path = variant('split: { baseline: 50, enhanced: 50 }', 'split: { baseline: 1, enhanced: 1 }');
    expect(loadExperiments(path)[0]?.split).toEqual({ baseline: 1, enhanced: 1 });
  });
});
