import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateQueries } from '../producer/generate.js';
import { PII_KINDS, PiiInjector } from '../producer/pii.js';
import { extractTopics } from '../producer/topics.js';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import { loadManifest } from '../shared/manifest.js';
import { packageRoot } from '../shared/paths.js';
import { Random } from '../shared/random.js';
import { containsPii, redact } from './pii.js';

describe('llm-sim containsPii', () => {
  it('recognises every kind of personal data the producer injects, each on its own and in every frame', () => {
    const injector = new PiiInjector(new Random(7));
    const frames = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const { query, values } = injector.inject('How does SARSA differ from Q-learning?');
      expect(containsPii(query), query).toBe(true);
      expect(containsPii(`Please ask ${values.name} about it.`), values.name).toBe(true);
      for (const kind of PII_KINDS) {
        const value = values[kind];
        if (value !== undefined) {
          expect(containsPii(`Please use ${value} for this.`), `${kind}: ${value}`).toBe(true);
        }
      }
      // The frame is the question with the injected values taken out.
      let frame = query;
      for (const value of Object.values(values)) {
        frame = frame.replaceAll(value, '');
      }
      frames.add(frame);
    }
    // All eight ways of volunteering data were drawn, names-and-address-only included.
    expect(frames.size).toBe(8);
  });

  it('redacts injected names and street addresses when asked to', () => {
    const injector = new PiiInjector(new Random(11));
    for (let i = 0; i < 100; i++) {
      const { query, values } = injector.inject('What is reward hacking?');
      const out = redact(query, { names: true, addresses: true });
      for (const value of Object.values(values)) {
        expect(out, query).not.toContain(value);
      }
    }
  });

  it('finds no personal data in the questions the producer makes without it (seeded, shipped kb)', async () => {
    const kb = await loadKnowledgeBase(join(packageRoot, 'kb'));
    const { jobs } = await generateQueries({
      runId: 'pii',
      seed: 3,
      count: 1000,
      piiPercentage: 0,
      mix: { 'other-paid': 1 },
      topics: extractTopics(kb.chunks),
      chunks: kb.chunks,
      manifest: loadManifest(),
    });
    const flagged = jobs.filter((j) => containsPii(j.query)).map((j) => j.query);
    expect(flagged).toEqual([]);
  });
});
