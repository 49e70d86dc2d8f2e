import { describe, expect, it } from 'vitest';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import { join } from 'node:path';
import { packageRoot } from '../shared/paths.js';
import { extractTopics, groundTopic, words, type Topic } from './topics.js';

const kbDir = join(packageRoot, 'kb');
const coffeeDir = join(packageRoot, 'test/fixtures/kb-coffee');

function expectGrounded(topics: Topic[], chunks: { id: string; text: string }[]): void {
  const byId = new Map(chunks.map((c) => [c.id, c.text.toLowerCase()]));
  for (const topic of topics) {
    expect(topic.chunkIds.length, topic.name).toBeGreaterThan(0);
    const text = topic.chunkIds.map((id) => byId.get(id) ?? '').join('\n');
    for (const term of topic.terms) {
      // Each key term occurs as a word (or word start) in the topic's own source chunks.
      expect(
        words(text).some((w) => w.startsWith(term)) || text.includes(term),
        `${topic.name}: ${term}`,
      ).toBe(true);
    }
  }
}

describe('extractive topics', () => {
  it('finds at least 20 topics in the sample base, each grounded in its source chunks', async () => {
    const kb = await loadKnowledgeBase(kbDir);
    const topics = extractTopics(kb.chunks);
    expect(topics.length).toBeGreaterThanOrEqual(20);
    expectGrounded(topics, kb.chunks);
    expect(new Set(topics.map((t) => t.name.toLowerCase())).size).toBe(topics.length);
    expect(topics.map((t) => t.name)).toContain('The Bellman optimality equation');
    // Deterministic: the same chunks give the same topics.
    expect(extractTopics(kb.chunks)).toEqual(topics);
  });

  it('gives topics of the other domain for a knowledge base about coffee', async () => {
    const kb = await loadKnowledgeBase(coffeeDir);
    const topics = extractTopics(kb.chunks);
    expect(topics.length).toBeGreaterThanOrEqual(20);
    expectGrounded(topics, kb.chunks);
    const terms = new Set(topics.flatMap((t) => t.terms));
    for (const term of ['espresso', 'channeling', 'bloom', 'roast', 'burr', 'grind']) {
      expect(terms, term).toContain(term);
    }
    for (const rl of ['reinforcement', 'policy', 'reward', 'bellman', 'markov']) {
      expect(terms, rl).not.toContain(rl);
    }
    expect(
      topics.every((t) => t.chunkIds.every((id) => /^(espresso|pour-over|roasting|grinders)\.md#/.test(id))),
    ).toBe(true);
  });

  it('tops up a base with few headings with recurring key phrases', () => {
    const text =
      'Sourdough starter needs regular feeding. A sourdough starter doubles after feeding. ' +
      'Bulk fermentation takes hours; bulk fermentation depends on temperature.';
    const chunks = [
      { id: 'a#0', docId: 'a', title: 'Notes', text },
      {
        id: 'a#1',
        docId: 'a',
        title: 'Notes',
        text: 'Shaping comes after bulk fermentation. Feed the sourdough starter.',
      },
    ];
    const topics = extractTopics(chunks);
    const names = topics.map((t) => t.name);
    expect(names).toContain('sourdough starter');
    expect(names).toContain('bulk fermentation');
    expect(topics.find((t) => t.name === 'bulk fermentation')?.source).toBe('phrase');
    expectGrounded(topics, chunks);
  });
});

describe('groundTopic', () => {
  const chunks = new Map([
    ['c1', { id: 'c1', docId: 'd', title: 'T', text: 'Q-learning updates an action-value estimate.' }],
  ]);

  it('keeps a topic whose key terms all occur in its chunks', () => {
    const topic: Topic = {
      name: 'Q-learning',
      terms: ['Q-learning', 'action-value'],
      chunkIds: ['c1'],
      source: 'llm',
    };
    expect(groundTopic(topic, chunks)).toEqual({ ...topic, terms: ['q-learning', 'action-value'] });
  });

  it('drops a topic with a term its chunks do not contain, or with no known chunk', () => {
    expect(
      groundTopic(
        { name: 'Deep RL', terms: ['q-learning', 'transformer'], chunkIds: ['c1'], source: 'llm' },
        chunks,
      ),
    ).toBeUndefined();
    expect(
      groundTopic({ name: 'Q', terms: ['q-learning'], chunkIds: ['nope'], source: 'llm' }, chunks),
    ).toBeUndefined();
  });
});
