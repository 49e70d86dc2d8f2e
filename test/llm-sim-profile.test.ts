import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/errors.js';
import { loadProfile, resolveModel } from '../llm-sim/index.js';
import { parseSimOptions } from '../llm-sim/config.js';

function profileFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'llm-sim-')), 'profile.yaml');
  writeFileSync(path, text);
  return path;
}

describe('sim profile', () => {
  it('ships defaults where GPT-4o is 0.50 and Claude Opus 0.60 positive, Opus slower and more verbose', () => {
    const profile = loadProfile();
    const gpt = resolveModel(profile, 'GPT-4o-2024-08-06');
    const opus = resolveModel(profile, 'claude-opus-5-5-20260922');
    expect(gpt.name).toBe('gpt-4o');
    expect(opus.name).toBe('claude-opus-5-5');
    expect(gpt.model.quality.positive).toBe(0.5);
    expect(opus.model.quality.positive).toBe(0.6);
    const median = (d: unknown) => (d as { median: number }).median;
    expect(median(opus.model.latency.ttftMs)).toBeGreaterThan(median(gpt.model.latency.ttftMs));
    expect(median(opus.model.outputTokens)).toBeGreaterThan(median(gpt.model.outputTokens));
    expect(Object.values(profile.models).every((m) => m.faults['429'] === 0 && m.faults.hang === 0)).toBe(
      true,
    );
  });

  it('resolves names, aliases and dated snapshots; any other id is unlisted and gets default', () => {
    const profile = loadProfile();
    expect(resolveModel(profile, 'gpt-4o-mini-2024-07-18')).toMatchObject({
      name: 'gpt-4o-mini',
      listed: true,
    });
    expect(resolveModel(profile, 'gpt-4o-2024-08-06')).toMatchObject({ name: 'gpt-4o', listed: true });
    expect(resolveModel(profile, 'mistral-small-latest')).toMatchObject({
      name: 'mistral-small',
      listed: true,
    });
    // Ids Anthropic does not serve (the tutorial's), near misses and the profile's own `default` are unlisted.
    for (const id of [
      'claude-opus-4',
      'claude-sonnet-4',
      'claude-opus-5',
      'gpt-4o-mini-foo',
      'default',
      'nope',
    ]) {
      expect(resolveModel(profile, id)).toMatchObject({ name: 'default', listed: false });
    }
  });

  it('fills models from default, then applies overrides per model and for all models', () => {
    const profile = loadProfile(
      profileFile(`
models:
  default:
    latency: { ttftMs: 100, perTokenMs: 5 }
    outputTokens: { dist: uniform, min: 10, max: 20 }
    toolCallRate: 0.5
    quality: { positive: 0.4, negative: 0.2 }
    faults: {}
  fast:
    aliases: [fast-1]
    latency: { ttftMs: 10 }
`),
      { models: { fast: { faults: { '429': 0.5 } } }, allModels: { latency: { perTokenMs: 0 } } },
    );
    const fast = resolveModel(profile, 'FAST-1').model;
    expect(fast.latency).toEqual({ ttftMs: 10, perTokenMs: 0 });
    expect(fast.quality).toEqual({ positive: 0.4, negative: 0.2 });
    expect(fast.faults['429']).toBe(0.5);
    expect(resolveModel(profile, 'default').model.faults['429']).toBe(0);
  });

  it('rejects a bad profile naming the field', () => {
    const bad = profileFile(`
models:
  default:
    latency: { ttftMs: 100, perTokenMs: 5 }
    outputTokens: 100
    toolCallRate: 0.5
    quality: { positive: 0.8, negative: 0.4 }
    faults: { '429': 2 }
`);
    expect(() => loadProfile(bad)).toThrow(ConfigError);
    expect(() => loadProfile(bad)).toThrow(/models\.default\.quality.*positive \+ negative/);
    expect(() => loadProfile(bad)).toThrow(/models\.default\.faults\.429/);
    expect(() => loadProfile(profileFile('models: {}'))).toThrow(/models\.default is required/);
    expect(() => loadProfile('/nonexistent/profile.yaml')).toThrow(/cannot read sim profile/);
  });

  it('validates `loadgen sim` options by name', () => {
    expect(parseSimOptions({ port: '4010', host: '0.0.0.0', seed: '5', profile: 'p.yaml' })).toMatchObject({
      port: 4010,
      seed: 5,
    });
    expect(() => parseSimOptions({ port: 'http', host: 'h', seed: '1', profile: 'p' })).toThrow(/--port/);
    expect(() => parseSimOptions({ port: '1', host: 'h', seed: '1.5', profile: 'p' })).toThrow(/--seed/);
  });
});
