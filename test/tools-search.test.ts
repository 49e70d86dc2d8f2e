import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKnowledgeBase, type KnowledgeBase } from '../shared/kb/loader.js';
import { packageRoot } from '../shared/paths.js';
import { bm25Scores, createRerankingTool } from '../agent-service/tools/reranking.js';
import { createSearchV1Tool } from '../agent-service/tools/search-v1.js';
import { MAX_TOOL_RESULT_CHARS } from '../agent-service/tools/format-results.js';
import { ToolArgumentError } from '../agent-service/tools/tool-args.js';
import { KB_QUESTIONS as QUESTIONS } from './helpers/kb-questions.js';

let kb: KnowledgeBase;
beforeAll(async () => {
  kb = await loadKnowledgeBase(join(packageRoot, 'kb'));
});

describe('the sample knowledge base', () => {
  it('has about ten documents and more than twenty distinct topics', () => {
    expect(kb.documents.length).toBeGreaterThanOrEqual(10);
    expect(kb.documents.some((d) => d.id.endsWith('.txt'))).toBe(true);
    const headings = new Set(kb.chunks.map((c) => c.heading).filter(Boolean));
    expect(headings.size).toBeGreaterThan(40);
  });
});

describe('search_v1', () => {
  it.each(QUESTIONS)('finds the answer to "$question" in the top 3', async ({ question, heading }) => {
    const tool = createSearchV1Tool(kb);
    const result = await tool.run({ query: question, top_k: 3 });
    const headings = result.cited.map((id) => kb.chunks.find((c) => c.id === id)?.heading);
    expect(headings).toContain(heading);
    expect(result.cited.length).toBeLessThanOrEqual(3);
    for (const id of result.cited) {
      expect(result.content).toContain(id);
    }
  });

  it('ignores stop words, clamps top_k and stays under the size cap', async () => {
    const tool = createSearchV1Tool(kb);
    const onlyStopWords = await tool.run({ query: 'what is the of and' });
    expect(onlyStopWords.cited).toEqual([]);
    expect(onlyStopWords.content).toMatch(/No passages/);
    const many = await tool.run({ query: 'value policy state reward learning', top_k: 500 });
    expect(many.content.length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);
    expect(many.cited.length).toBeGreaterThan(0);
    expect(many.cited.length).toBeLessThanOrEqual(20);
  });

  it('names the bad field', async () => {
    const tool = createSearchV1Tool(kb);
    await expect(tool.run({ query: '   ' })).rejects.toThrow(ToolArgumentError);
    await expect(tool.run({})).rejects.toThrow(/search_v1: invalid arguments: query/);
  });
});

describe('reranking', () => {
  it('orders results by BM25 score, counting whole words only', async () => {
    const texts = [
      'Actions and actors are unrelated here.',
      'Target networks stabilise learning; the target network is copied.',
      'A target appears once.',
    ];
    const scores = bm25Scores('target network', texts);
    expect(scores[0]).toBe(0);
    expect(scores[1]).toBeGreaterThan(scores[2]!);
    expect(bm25Scores('act', ['action action', 'act now'])).toEqual([0, expect.any(Number)]);

    const tool = createRerankingTool();
    const result = await tool.run({
      query: 'target network',
      results: texts.map((text, i) => ({ id: `r${i}`, text })),
    });
    expect(result.cited).toEqual(['r1', 'r2', 'r0']);
    expect(result.content.indexOf('[1] r1')).toBeGreaterThan(0);
  });

  it('resolves chunk ids from the knowledge base and reranks a search', async () => {
    const search = await createSearchV1Tool(kb).run({
      query: 'exploration epsilon greedy bandit',
      top_k: 10,
    });
    const tool = createRerankingTool(kb);
    const result = await tool.run({ query: 'epsilon greedy', results: search.cited, top_k: 3 });
    expect(result.cited).toHaveLength(3);
    const top = kb.chunks.find((c) => c.id === result.cited[0]);
    expect(top?.heading).toBe('Epsilon-greedy action selection');
    const texts = result.cited.map((id) => kb.chunks.find((c) => c.id === id)!.text);
    const scores = bm25Scores('epsilon greedy', texts);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('rejects an empty result list by name', async () => {
    await expect(createRerankingTool().run({ query: 'x', results: [] })).rejects.toThrow(/results/);
  });
});
