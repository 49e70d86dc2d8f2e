import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LDClient } from '@launchdarkly/node-server-sdk';
import { initAi, type LDAIClient } from '@launchdarkly/server-sdk-ai';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLdCommands } from '../ld/command.js';
import { buildFlagData, rolloutWeights, writeFlagFile } from '../shared/flag-file.js';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import { loadManifest } from '../shared/manifest.js';
import { aiConfigTool, toolNamesOf, type ToolName } from '../shared/tool-definitions.js';

const manifest = loadManifest();
const variables = manifest.variables;

function user(key: string, country: string, plan: string) {
  return { kind: 'user', key, country, plan };
}

describe('manifest -> LaunchDarkly flag file, evaluated by the real SDK and AI SDK', () => {
  let client: LDClient;
  let ai: LDAIClient;
  const dir = mkdtempSync(join(tmpdir(), 'ld-flags-'));
  const file = join(dir, 'nested', 'flags.json');

  beforeAll(async () => {
    writeFlagFile(manifest, file);
    client = await createLaunchDarklyClient({ flagsFile: file });
    ai = initAi(client);
  });
  afterAll(() => {
    client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['eu-free', user('u-de-free', 'DE', 'free')],
    ['eu-paid', user('u-fr-paid', 'FR', 'paid')],
    ['other-free', user('u-us-free', 'US', 'free')],
  ])(
    'serves the %s segment its support variation, enabled, with tools and interpolated instructions',
    async (segment, context) => {
      const config = await ai.agentConfig('support-agent', context, { enabled: false }, variables);
      const expected = manifest.configs['support-agent']!.variations[segment]!;
      expect(config.enabled).toBe(true);
      expect(config.model?.name).toBe(expected.model.name);
      expect(config.provider?.name).toBe(expected.provider);
      expect(config.model?.parameters?.tools).toEqual(
        toolNamesOf(expected.model.parameters.tools).names.map((name) => aiConfigTool(name as ToolName)),
      );
      expect(config.model?.parameters?.temperature).toBe(expected.model.parameters.temperature);
      expect(config.instructions).toContain('the RL Learning Hub users');
      expect(config.instructions).not.toContain('{{');
      expect(config.tracker?.getTrackData()).toMatchObject({
        configKey: 'support-agent',
        variationKey: segment,
        version: 1,
        modelName: expected.model.name,
        providerName: expected.provider,
      });
    },
  );

  it('serves the fallthrough to users in no segment, and the security baseline outside the experiment', async () => {
    const context = { kind: 'user', key: 'u-anon' };
    const support = await ai.agentConfig('support-agent', context, { enabled: false }, variables);
    expect(support.tracker?.getTrackData().variationKey).toBe('international-standard');
    const eu = await ai.agentConfig('security-agent', user('u-de-paid', 'DE', 'paid'), { enabled: false });
    expect(eu.tracker?.getTrackData().variationKey).toBe('baseline');
    const supervisor = await ai.agentConfig('supervisor-agent', context, { enabled: false }, variables);
    expect(supervisor.enabled).toBe(true);
    expect(supervisor.instructions).toContain('support assistant for the RL Learning Hub.');
  });

  it('splits 1,000 other-paid users 50/50 (within 5 points) in both experiments, as experiment traffic', async () => {
    const counts = { security: new Map<string, number>(), support: new Map<string, number>() };
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    let both = 0;
    for (let i = 0; i < 1000; i++) {
      const context = user(`other-paid-${i}`, i % 2 ? 'US' : 'BR', 'paid');
      const security = await ai.agentConfig('security-agent', context, { enabled: false }, variables);
      const support = await ai.agentConfig('support-agent', context, { enabled: false }, variables);
      expect(security.enabled && support.enabled).toBe(true);
      const securityKey = security.tracker!.getTrackData().variationKey;
      const supportKey = support.tracker!.getTrackData().variationKey;
      bump(counts.security, securityKey);
      bump(counts.support, supportKey);
      if (securityKey === 'enhanced' && supportKey === 'claude-opus-treatment') {
        both++;
      }
      if (i < 20) {
        const detail = await client.variationDetail('support-agent', context, null);
        expect(detail.reason).toMatchObject({ kind: 'RULE_MATCH', inExperiment: true });
        expect((detail.value as { _ldMeta: { variationKey: string } })._ldMeta.variationKey).toBe(supportKey);
      }
    }
    expect([...counts.security.keys()].sort()).toEqual(['baseline', 'enhanced']);
    expect([...counts.support.keys()].sort()).toEqual(['claude-opus-treatment', 'other-paid']);
    for (const count of [...counts.security.values(), ...counts.support.values()]) {
      expect(count).toBeGreaterThanOrEqual(450);
      expect(count).toBeLessThanOrEqual(550);
    }
    // Different salts per flag: the two experiments bucket independently (about a quarter in both treatments).
    expect(both).toBeGreaterThan(175);
    expect(both).toBeLessThan(325);
    const opus = await ai.agentConfig('support-agent', user('other-paid-0', 'BR', 'paid'), {
      enabled: false,
    });
    expect(opus.model?.parameters?.tools).toHaveLength(5);
  });

  it('serves the disabled variation for a config switched off', async () => {
    const offFile = join(dir, 'off.json');
    writeFlagFile(manifest, offFile, { off: ['security-agent'] });
    const offClient = await createLaunchDarklyClient({ flagsFile: offFile });
    try {
      const config = await initAi(offClient).agentConfig('security-agent', user('u1', 'US', 'paid'), {
        enabled: true,
      });
      expect(config.enabled).toBe(false);
    } finally {
      offClient.close();
    }
  });

  it('writes the full flag format: segments with their rules and flags matching them', () => {
    const data = JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof buildFlagData>;
    expect(Object.keys(data.segments).sort()).toEqual(['eu-free', 'eu-paid', 'other-free', 'other-paid']);
    const otherPaid = data.segments['other-paid']!.rules[0]!.clauses;
    expect(otherPaid[0]).toMatchObject({ attribute: 'country', op: 'in', negate: true });
    expect(otherPaid[0]!.values).toContain('DE');
    expect(otherPaid[1]).toMatchObject({ attribute: 'plan', values: ['paid'], negate: false });
    const rule = data.flags['support-agent']!.rules.at(-1)!;
    expect(rule.clauses[0]).toMatchObject({ op: 'segmentMatch', values: ['other-paid'] });
    expect(rule.rollout).toMatchObject({ kind: 'experiment', bucketBy: 'key' });
    expect(rule.rollout!.variations.map((v) => v.weight)).toEqual([50_000, 50_000]);
  });

  it('turns percentages into whole rollout weights that add up to exactly 100,000', () => {
    expect(rolloutWeights({ a: 50, b: 50 })).toEqual([
      ['a', 50_000],
      ['b', 50_000],
    ]);
    const thirds = rolloutWeights({ a: 33.3333, b: 33.3333, c: 33.3334 }).map(([, w]) => w);
    expect(thirds).toEqual([33_333, 33_333, 33_334]);
    // Each rounds up (33,334 + 33,334 + 33,333 = 100,001): the last one gives the extra back.
    expect(rolloutWeights({ a: 33.3335, b: 33.3335, c: 33.333 }).map(([, w]) => w)).toEqual([
      33_334, 33_334, 33_332,
    ]);
  });

  it('rejects switching off an AI Config the manifest does not have', () => {
    expect(() => buildFlagData(manifest, { off: ['nope'] })).toThrow(/unknown AI Config "nope"/);
  });
});

describe('loadgen ld flags', () => {
  it('writes the flag file for a given manifest to --output', async () => {
    const program = new Command('loadgen').exitOverride();
    registerLdCommands(program);
    const dir = mkdtempSync(join(tmpdir(), 'ld-cli-'));
    try {
      const out = join(dir, 'flags.json');
      await program.parseAsync(['ld', 'flags', '--output', out, '--manifest', 'data/manifest.yaml'], {
        from: 'user',
      });
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(buildFlagData(manifest));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
