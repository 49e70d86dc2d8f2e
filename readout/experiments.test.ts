import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMetrics } from '../shared/catalog.js';
import { dataPath } from '../shared/paths.js';
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
      // The arms name the control too: the typo in both places.
      /control: baseline\n([\s\S]*?)arms: \{ baseline:/,
      'control: basline\n$1arms: { basline:',
      'experiment "security-level": control "basline" is not a variation of security-agent (known: baseline, enhanced)',
    ],
    [
      'treatment',
      /treatment: claude-opus-treatment\n([\s\S]*?)claude-opus-treatment: Claude/,
      'treatment: claude-opus\n$1claude-opus: Claude',
      'experiment "premium-model-value": treatment "claude-opus" is not a variation of support-agent',
    ],
    [
      'audience',
      'audience: { segment: other-paid }',
      'audience: { segment: other-payd }',
      'experiment "security-level": audience segment "other-payd" is not a segment of the manifest',
    ],
    [
      'audience other than the rule splitting it',
      'audience: { segment: other-paid }',
      'audience: { segment: other-free }',
      'experiment "security-level": the manifest splits it for segment other-paid, not its audience other-free',
    ],
    [
      'id',
      'id: premium-model-value',
      'id: premium-model',
      'experiment "premium-model": the manifest has 0 rules with "experiment: premium-model", not one',
    ],
    [
      'id (seen from the manifest)',
      'id: premium-model-value',
      'id: premium-model',
      'configs.support-agent: a rule names experiment "premium-model-value", which this file does not define',
    ],
  ])('names the experiment and the key on a %s the manifest does not have', (_what, from, to, message) => {
    const path = variant(from, to);
    expect(() => loadExperiments(path)).toThrow(ReadoutError);
    expect(() => loadExperiments(path)).toThrow(message);
    expect(() => loadExperiments(path)).toThrow(`experiments file ${path} does not match the manifest`);
  });

  it("takes each experiment's split from the manifest's rollout, and refuses one written in the file", () => {
    const [security] = loadExperiments();
    expect(security!.split).toEqual({ baseline: 50, enhanced: 50 });
    const path = variant(
      'audience: { segment: other-paid }',
      'audience: { segment: other-paid }\n    split: { baseline: 50, enhanced: 50 }',
    );
    expect(() => loadExperiments(path)).toThrow(
      /experiments\.0\.split: the split is the rollout of the experiment's rule/,
    );
  });

  it('refuses an experiment metric that the file does not define', () => {
    const path = variant(/ {2}- key: ai_cost\n( {4}.*\n)+/, '');
    expect(() => loadExperiments(path)).toThrow(
      'experiments.0.metrics.4: "ai_cost" is not a metric of this file (known: positive_feedback, negative_feedback, user_latency, average_tokens)',
    );
  });
});

describe('loadMetrics', () => {
  it('reads the shipped metrics', () => {
    expect(loadMetrics().map((m) => m.key)).toEqual([
      'positive_feedback',
      'negative_feedback',
      'user_latency',
      'average_tokens',
      'ai_cost',
    ]);
  });

  it('names the field of a numeric metric without its analysis, and of a conversion metric with a unit', () => {
    const path = variant('    analysis: percentile\n    percentile: 95\n', '');
    expect(() => loadMetrics(path)).toThrow('metrics.2.analysis: a numeric metric needs one');
    const unit = variant(
      '    numeric: false\n    successCriteria: HigherThanBaseline',
      '    numeric: false\n    unit: ms\n    successCriteria: HigherThanBaseline',
    );
    expect(() => loadMetrics(unit)).toThrow('metrics.0.unit: only a numeric metric has one');
  });
});
