/**
 * The agent service's tools as an AI Config serves them: LaunchDarkly puts each tool of a variation in
 * `model.parameters.tools` as `{ type: "function", name, description, parameters }` (JSON Schema of the
 * arguments). The agent service's tools (agent-service/tools) take their description and parameters from
 * here, so the flag file generated from the manifest serves exactly what the service runs.
 */

/** Every tool name an AI Config may list in `model.parameters.tools`. */
export const TOOL_NAMES = [
  'search_v1',
  'search_v2',
  'reranking',
  'arxiv_search',
  'semantic_scholar',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** A tool as LaunchDarkly serves it in an AI Config variation's `model.parameters.tools`. */
export interface AiConfigTool {
  type: 'function';
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
}

const TOP_K = { type: 'integer', minimum: 1, maximum: 20, default: 5, description: 'How many passages.' };

const PAPER_SEARCH = {
  type: 'object',
  properties: {
    query: { type: 'string', description: 'Search terms or a question.' },
    max_results: { type: 'integer', minimum: 1, maximum: 10, default: 5, description: 'How many papers.' },
  },
  required: ['query'],
  additionalProperties: false,
};

/** Description and argument schema of each tool the agent service offers. */
export const TOOL_DEFINITIONS: Record<ToolName, Omit<AiConfigTool, 'type' | 'name'>> = {
  search_v1: {
    description:
      'Keyword search over the knowledge base. Returns the best-matching passages with their chunk ids; ' +
      'cite the ids you use.',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', description: 'Words to look for.' }, top_k: TOP_K },
      required: ['query'],
      additionalProperties: false,
    },
  },
  search_v2: {
    description:
      'Semantic search over the knowledge base: finds passages that mean the same as the query even when ' +
      'they use other words. Returns passages with chunk ids and similarity scores; cite the ids you use.',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'A question or description of what to find.' },
        top_k: TOP_K,
        min_score: {
          type: 'number',
          minimum: -1,
          maximum: 1,
          default: 0.2,
          description: 'Leave out passages less similar than this (cosine).',
        },
      },
      required: ['query'],
      additionalProperties: false,
    },
  },
  reranking: {
    description:
      'Reorders search results by BM25 relevance to the query, best first. Pass the chunk ids (or texts) ' +
      'returned by a search.',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'The question the results should answer.' },
        results: {
          type: 'array',
          maxItems: 50,
          description: 'Chunk ids, texts, or objects with id and text.',
          items: {
            anyOf: [
              { type: 'string' },
              { type: 'object', properties: { id: { type: 'string' }, text: { type: 'string' } } },
            ],
          },
        },
        top_k: { ...TOP_K, description: 'How many to return.' },
      },
      required: ['query', 'results'],
      additionalProperties: false,
    },
  },
  arxiv_search: {
    description: 'Searches arXiv for research papers. Returns titles, authors, abstracts and arXiv ids.',
    parameters: PAPER_SEARCH,
  },
  semantic_scholar: {
    description:
      'Searches Semantic Scholar for research papers. Returns titles, authors, years, citation counts and ids.',
    parameters: PAPER_SEARCH,
  },
};

/** Whether `name` is one of the agent service's tools. */
export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOL_DEFINITIONS, name);
}

/** The tool object LaunchDarkly serves for `name` (a deep copy: callers may change it). */
export function aiConfigTool(name: ToolName): AiConfigTool {
  return { type: 'function', name, ...structuredClone(TOOL_DEFINITIONS[name]) };
}

/**
 * The tool names in an AI Config's `model.parameters.tools`: each entry is a name (our manifest's shape) or a
 * tool object with a `name` (LaunchDarkly's shape). Entries of another shape are returned in `invalid`.
 */
export function toolNamesOf(tools: unknown): { names: string[]; invalid: unknown[] } {
  const names: string[] = [];
  const invalid: unknown[] = [];
  if (tools !== undefined && !Array.isArray(tools)) {
    return { names, invalid: [tools] };
  }
  for (const entry of tools ?? []) {
    if (typeof entry === 'string') {
      names.push(entry);
    } else if (
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as { name?: unknown }).name === 'string'
    ) {
      names.push((entry as { name: string }).name);
    } else {
      invalid.push(entry);
    }
  }
  return { names, invalid };
}
