import { z } from 'zod';
import type { Logger } from '../../shared/logger.js';
import { TOOL_DEFINITIONS } from '../../shared/tool-definitions.js';
import { MAX_TOOL_RESULT_CHARS, truncate } from './format-results.js';
import type { McpConnection, RemoteTool } from './mcp-connection.js';
import { parseToolArgs, queryArg, topK } from './tool-args.js';
import type { AgentTool, ToolResult } from './types.js';

export interface McpSearchToolOptions {
  /** The name AI Configs use; description and argument schema come from its tool definition. */
  name: 'arxiv_search' | 'semantic_scholar';
  connection: McpConnection;
  /** The server's tool to call; by default the first whose name contains "search" (or its only tool). */
  remoteTool?: string | undefined;
  /** Turns result text into citable ids, e.g. arXiv ids. */
  citeIds: (text: string) => string[];
  logger?: Logger;
}

const Args = z.object({ query: queryArg, max_results: topK(5, 10) });

// Servers name their arguments differently; these are the spellings seen in public arXiv and Semantic
// Scholar MCP servers.
const QUERY_NAMES = ['query', 'q', 'search_query', 'keywords', 'text'];
const LIMIT_NAMES = ['max_results', 'limit', 'top_k', 'maxResults', 'num_results', 'count'];

/**
 * A search tool backed by a tool on an MCP server. The remote tool is looked up on first use; the query
 * and result count are passed under whatever names its input schema uses. Results are cut to
 * `MAX_TOOL_RESULT_CHARS`.
 */
export function createMcpSearchTool(options: McpSearchToolOptions): AgentTool {
  const { name, connection } = options;
  let remote: Promise<RemoteTool> | undefined;
  // The lookup is shared by every request that waits for it, so it runs under the connection's own timeout,
  // not under the first caller's signal: one request's deadline must not fail the others. Each caller stops
  // waiting when its own signal aborts.
  const resolveRemote = (signal?: AbortSignal) => {
    remote ??= pickRemoteTool(options).catch((err: unknown) => {
      remote = undefined;
      throw err;
    });
    return untilAborted(remote, signal);
  };

  return {
    name,
    ...TOOL_DEFINITIONS[name],
    async run(args, signal): Promise<ToolResult> {
      const { query, max_results } = parseToolArgs(name, Args, args);
      const tool = await resolveRemote(signal);
      const properties = Object.keys(tool.inputSchema.properties ?? {});
      const queryName = QUERY_NAMES.find((n) => properties.includes(n)) ?? 'query';
      const limitName = LIMIT_NAMES.find((n) => properties.includes(n));
      const result = await connection.callTool(
        tool.name,
        { [queryName]: query, ...(limitName ? { [limitName]: max_results } : {}) },
        signal,
      );
      const text = result.text !== '' ? result.text : JSON.stringify(result.structured ?? '');
      if (result.isError) {
        throw new Error(
          `${name}: the MCP server ${connection.name} reported an error: ${truncate(text, 500)}`,
        );
      }
      if (text.trim() === '' || text === '""') {
        return { content: `${name}: no papers found for "${query}".`, cited: [] };
      }
      const content = truncate(`${name} results for "${query}":\n${text}`, MAX_TOOL_RESULT_CHARS);
      return { content, cited: [...new Set(options.citeIds(content))] };
    },
  };
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return promise;
  }
  if (signal.aborted) {
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function pickRemoteTool(options: McpSearchToolOptions): Promise<RemoteTool> {
  const tools = await options.connection.listTools();
  const names = tools.map((t) => t.name).join(', ') || 'none';
  const wanted = options.remoteTool;
  const tool = wanted
    ? tools.find((t) => t.name === wanted)
    : (tools.find((t) => t.name.toLowerCase().includes('search')) ??
      (tools.length === 1 ? tools[0] : undefined));
  if (!tool) {
    throw new Error(
      `${options.name}: MCP server ${options.connection.name} has no ${wanted ? `tool "${wanted}"` : 'search tool'} ` +
        `(it offers: ${names})`,
    );
  }
  options.logger?.info(
    { tool: options.name, remote: tool.name, server: options.connection.name },
    'MCP tool ready',
  );
  return tool;
}

/** arXiv identifiers in `text`, as `arxiv:2301.01234` (new style, version dropped) or `arxiv:cs/0101001`. */
export function arxivIds(text: string): string[] {
  const ids = [...text.matchAll(/\b(\d{4}\.\d{4,5})(?:v\d+)?\b/g)].map((m) => `arxiv:${m[1]}`);
  const old = [...text.matchAll(/\b([a-z-]+(?:\.[A-Z]{2})?\/\d{7})\b/g)].map((m) => `arxiv:${m[1]}`);
  return [...ids, ...old];
}

/** Semantic Scholar paper ids (40 hex digits) in `text`, as `s2:<id>`, plus any arXiv ids it mentions. */
export function semanticScholarIds(text: string): string[] {
  return [...[...text.matchAll(/\b([0-9a-f]{40})\b/g)].map((m) => `s2:${m[1]}`), ...arxivIds(text)];
}
