import MiniSearch from 'minisearch';
import { z } from 'zod';
import type { KbChunk, KnowledgeBase } from '../../shared/kb/index.js';
import { TOOL_DEFINITIONS } from '../../shared/tool-definitions.js';
import { chunkLabel, formatEntries } from './format-results.js';
import { STOP_WORDS } from './stop-words.js';
import { parseToolArgs, queryArg, topK } from './tool-args.js';
import type { AgentTool, ToolResult } from './types.js';

const Args = z.object({ query: queryArg, top_k: topK(5, 20) });

/**
 * `search_v1`: keyword search over the knowledge base's chunks (MiniSearch full-text index, stop words
 * ignored, prefix and light fuzzy matching, headings and titles weighted above body text). The index is
 * built once, in memory, when the tool is created.
 */
export function createSearchV1Tool(kb: KnowledgeBase): AgentTool {
  const byId = new Map(kb.chunks.map((chunk) => [chunk.id, chunk]));
  const search = new MiniSearch<KbChunk>({
    fields: ['title', 'heading', 'text'],
    extractField: (chunk, field) => String((chunk as unknown as Record<string, unknown>)[field] ?? ''),
    processTerm: (term) => {
      const lower = term.toLowerCase();
      return STOP_WORDS.has(lower) ? null : lower;
    },
    searchOptions: {
      boost: { heading: 2, title: 1.5 },
      prefix: (term) => term.length > 3,
      fuzzy: (term) => (term.length > 5 ? 0.2 : false),
      combineWith: 'OR',
    },
  });
  search.addAll(kb.chunks);

  return {
    name: 'search_v1',
    ...TOOL_DEFINITIONS.search_v1,
    async run(args): Promise<ToolResult> {
      const { query, top_k } = parseToolArgs('search_v1', Args, args);
      const hits = search.search(query).slice(0, top_k);
      if (hits.length === 0) {
        return { content: `No passages in the knowledge base match "${query}".`, cited: [] };
      }
      const entries = hits.map((hit) => {
        const chunk = byId.get(String(hit.id)) as KbChunk;
        return { id: chunk.id, label: chunkLabel(chunk, hit.score), body: chunk.text };
      });
      return formatEntries(`${hits.length} passage(s) for "${query}" (keyword search):`, entries);
    },
  };
}
