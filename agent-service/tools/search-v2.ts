import type OpenAI from 'openai';
import { z } from 'zod';
import { type EmbeddingIndex, embedTexts } from '../../shared/kb/index.js';
import { TOOL_DEFINITIONS } from '../../shared/tool-definitions.js';
import { chunkLabel, formatEntries } from './format-results.js';
import { parseToolArgs, queryArg, topK } from './tool-args.js';
import type { AgentTool, ToolResult } from './types.js';

export interface SearchV2Options {
  index: EmbeddingIndex;
  /** Client for query embeddings; must reach the provider the index was built with. */
  openai: OpenAI;
  /**
   * Similarity below which a chunk is not returned when the call gives no `min_score` (default 0.2). OpenAI's
   * embedding models score related passages around 0.3 to 0.6 and unrelated ones near 0.1.
   */
  minScore?: number;
}

const Args = z.object({
  query: queryArg,
  top_k: topK(5, 20),
  min_score: z.coerce
    .number()
    .optional()
    .transform((v) => (v === undefined ? undefined : Math.min(1, Math.max(-1, v)))),
});

/**
 * `search_v2`: semantic search. Embeds the query with the index's model and returns the chunks with the
 * highest cosine similarity (`top_k` clamped to 1-20) at or above a minimum score.
 */
export function createSearchV2Tool(options: SearchV2Options): AgentTool {
  const { index, openai } = options;
  const defaultMinScore = options.minScore ?? 0.2;
  const definition = TOOL_DEFINITIONS.search_v2;
  const minScoreSchema = (definition.parameters.properties as Record<string, object>).min_score;
  return {
    name: 'search_v2',
    description: definition.description,
    // The schema's default is the tool's own, which the service may configure.
    parameters: {
      ...definition.parameters,
      properties: {
        ...(definition.parameters.properties as Record<string, unknown>),
        min_score: { ...minScoreSchema, default: defaultMinScore },
      },
    },
    async run(args, signal): Promise<ToolResult> {
      const { query, top_k, min_score } = parseToolArgs('search_v2', Args, args);
      const [vector] = await embedTexts(openai, index.model, [query], signal ? { signal } : {});
      const minScore = min_score ?? defaultMinScore;
      const hits = index.search(vector as Float32Array, top_k, minScore);
      if (hits.length === 0) {
        return {
          content: `No passages in the knowledge base are similar enough (>= ${minScore}) to "${query}".`,
          cited: [],
        };
      }
      return formatEntries(
        `${hits.length} passage(s) for "${query}" (semantic search):`,
        hits.map(({ chunk, score }) => ({ id: chunk.id, label: chunkLabel(chunk, score), body: chunk.text })),
      );
    },
  };
}
