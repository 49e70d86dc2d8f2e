import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLaunchDarklyClient, launchDarklyMode } from '../shared/launchdarkly.js';
import { EventsEndpoint } from './helpers/events-endpoint.js';

const flags = {
  flags: {
    'model-choice': {
      key: 'model-choice',
      on: true,
      version: 3,
      variations: ['gpt-4o', 'claude-opus-4'],
      fallthrough: { variation: 0 },
      offVariation: 0,
      targets: [],
      rules: [
        {
          id: 'de',
          variation: 1,
          clauses: [{ contextKind: 'user', attribute: 'country', op: 'in', values: ['DE'], negate: false }],
        },
      ],
      salt: 'salt',
      trackEvents: false,
    },
  },
};

describe('LaunchDarkly client factory (real SDK, file data source, local events endpoint)', () => {
  let endpoint: EventsEndpoint | undefined;
  afterEach(async () => endpoint?.close());

  it('evaluates flags from a file and delivers custom events to the events endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ld-'));
    const file = join(dir, 'flags.json');
    writeFileSync(file, JSON.stringify(flags));
    endpoint = await EventsEndpoint.start();

    const client = await createLaunchDarklyClient({ flagsFile: file, eventsUri: endpoint.url });
    try {
      const us = { kind: 'user', key: 'u-us', country: 'US' };
      const de = { kind: 'user', key: 'u-de', country: 'DE' };
      expect(await client.variation('model-choice', us, 'none')).toBe('gpt-4o');
      expect(await client.variation('model-choice', de, 'none')).toBe('claude-opus-4');

      client.track('ai_cost_per_request', de, { jobId: 'run1.7' }, 0.0125);
      await client.flush();
      await endpoint.waitFor((events) => events.some((e) => e.kind === 'custom'));
    } finally {
      client.close();
    }
    const [event] = endpoint.custom('ai_cost_per_request');
    expect(event?.metricValue).toBe(0.0125);
    expect(event?.data).toEqual({ jobId: 'run1.7' });
    expect(event?.context).toEqual({ kind: 'user', key: 'u-de', country: 'DE' });
  });

  it('refuses to start without a key or a flags file, naming both variables', () => {
    expect(() => launchDarklyMode({})).toThrow(/LD_SDK_KEY.*LD_FLAGS_FILE/);
  });

  it('fails initialisation clearly when the flags file is missing', async () => {
    await expect(
      createLaunchDarklyClient({ flagsFile: join(tmpdir(), 'no-such-flags.json'), initTimeoutSeconds: 2 }),
    ).rejects.toThrow(/did not initialise \(local mode\)/);
  });
});
