import { createRequire } from 'node:module';
import { z } from 'zod';
import type { KnowledgeBase } from '../../shared/kb/index.js';
import { TOOL_DEFINITIONS } from '../../shared/tool-definitions.js';
import { formatEntries } from './format-results.js';
import { contentWords } from './stop-words.js';
import { parseToolArgs, queryArg, topK } from './tool-args.js';
import type { AgentTool, ToolResult } from './types.js';

const Candidate = z.union([
  z.string().min(1, 'must not be empty'),
  z.object({ id: z.string().optional(), text: z.string().optional() }).refine((c) => c.id ?? c.text, {
    message: 'needs an id or a text',
  }),
]);
const Args = z.object({
  query: queryArg,
  results: z.array(Candidate).min(1, 'give at least one result to rerank').max(50, 'at most 50 results'),
  top_k: topK(5, 20),
});

// okapibm25 is CommonJS with an `exports.default`, which Node's ESM interop and vitest's unwrap differently;
// `require` gives the same object under both.
const { default: BM25 } = createRequire(import.meta.url)('okapibm25') as {
  default: (documents: string[], keywords: string[]) => number[];
};

/** One candidate after resolution: chunk ids are looked up in the knowledge base. */
interface Resolved {
  id: string;
  text: string;
}

/** A token the library cannot match inside a longer word: okapibm25 counts substrings, not whole words. */
const mark = (word: string) => `#${word}#`;

/**
 * BM25 scores of `texts` for the words of `query`, stop words ignored, through okapibm25. Words are wrapped
 * in `#` so that the library's substring counting counts whole words only ("act" must not match "action").
 */
export function bm25Scores(query: string, texts: string[]): number[] {
  const keywords = [...new Set(contentWords(query))].map(mark);
  if (keywords.length === 0) {
    return texts.map(() => 0);
  }
  const documents = texts.map((text) => contentWords(text).map(mark).join(''));
  return BM25(documents, keywords);
}

/**
 * `reranking`: reorders given results (chunk ids, texts, or `{ id, text }` objects, e.g. the output of a
 * search) by their BM25 score for the query, best first.
 */
export function createRerankingTool(kb?: KnowledgeBase): AgentTool {
  const chunks = new Map(kb?.chunks.map((chunk) => [chunk.id, chunk]) ?? []);
  const resolve = (candidate: z.infer<typeof Candidate>, i: number): Resolved => {
    if (typeof candidate === 'string') {
      const chunk = chunks.get(candidate);
      return chunk ? { id: chunk.id, text: chunk.text } : { id: `result-${i + 1}`, text: candidate };
    }
    const chunk = candidate.id === undefined ? undefined : chunks.get(candidate.id);
    return {
      id: candidate.id ?? `result-${i + 1}`,
      text: candidate.text ?? chunk?.text ?? '',
    };
  };

  return {
    name: 'reranking',
    ...TOOL_DEFINITIONS.reranking,
    async run(args): Promise<ToolResult> {
      const { query, results, top_k } = parseToolArgs('reranking', Args, args);
      const resolved = results.map(resolve);
      const scores = bm25Scores(
        query,
        resolved.map((r) => r.text),
      );
      const ranked = resolved
        .map((result, i) => ({ result, score: scores[i] ?? 0, i }))
        // Stable on ties: equal scores keep the order the search gave them.
        .sort((a, b) => b.score - a.score || a.i - b.i)
        .slice(0, top_k);
      return formatEntries(
        `${ranked.length} of ${results.length} result(s) reranked by BM25 for "${query}":`,
        ranked.map(({ result, score }) => ({
          id: result.id,
          label: `bm25 ${score.toFixed(3)}`,
          body: result.text,
        })),
      );
    },
  };
}
