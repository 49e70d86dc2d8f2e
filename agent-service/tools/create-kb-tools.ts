import type OpenAI from 'openai';
import type { EmbeddingIndex, KnowledgeBase } from '../../shared/kb/index.js';
import type { Logger } from '../../shared/logger.js';
import { isToolName } from '../../shared/tool-definitions.js';
import { McpConnection } from './mcp-connection.js';
import { arxivIds, createMcpSearchTool, semanticScholarIds } from './mcp-search-tool.js';
import { createRerankingTool } from './reranking.js';
import { createSearchV1Tool } from './search-v1.js';
import { createSearchV2Tool } from './search-v2.js';
import type { McpServers } from './tools-env.js';
import type { AgentTool } from './types.js';

export interface KbToolsOptions {
  kb: KnowledgeBase;
  /** The embeddings index; without it (and `openai`), search_v2 is not offered. */
  index?: EmbeddingIndex | undefined;
  /** Client for query embeddings, reaching the provider the index was built with. */
  openai?: OpenAI | undefined;
  mcp?: McpServers;
  logger: Logger;
}

/**
 * The tools on offer in this process, by name. Owns the MCP connections: call `close()` at shutdown (safe to
 * call twice). `pick` turns an AI Config's tool list into tools, logging each missing name once.
 */
export class ToolRegistry extends Map<string, AgentTool> {
  private readonly reported = new Set<string>();
  private readonly connections: McpConnection[] = [];
  private readonly logger: Logger;

  constructor(logger: Logger) {
    super();
    this.logger = logger;
  }

  /** @internal */
  addConnection(connection: McpConnection): void {
    this.connections.push(connection);
  }

  /** @internal Records that `name` is not offered, logging it the first time only. */
  notOffered(name: string, reason: string): void {
    if (!this.reported.has(name)) {
      this.reported.add(name);
      this.logger.info({ tool: name, reason }, 'tool not offered');
    }
  }

  /** The tools among `names` that are on offer, in order; names not on offer are logged once and left out. */
  pick(names: readonly string[]): AgentTool[] {
    const tools: AgentTool[] = [];
    for (const name of names) {
      const tool = this.get(name);
      if (tool) {
        tools.push(tool);
      } else {
        this.notOffered(name, isToolName(name) ? 'not configured' : 'unknown tool');
      }
    }
    return tools;
  }

  async close(): Promise<void> {
    const connections = this.connections.splice(0);
    await Promise.allSettled(connections.map((connection) => connection.close()));
  }
}

/**
 * The knowledge-base and research tools: search_v1 and reranking always; search_v2 when an index and an
 * embeddings client are given; arxiv_search and semantic_scholar when their MCP server is configured. Each
 * tool left out is logged once, with the reason.
 */
export function createKbTools(options: KbToolsOptions): ToolRegistry {
  const { kb, logger } = options;
  const registry = new ToolRegistry(logger);
  const add = (tool: AgentTool) => registry.set(tool.name, tool);
  add(createSearchV1Tool(kb));
  add(createRerankingTool(kb));
  if (options.index && options.openai) {
    add(createSearchV2Tool({ index: options.index, openai: options.openai }));
  } else {
    registry.notOffered('search_v2', 'no embeddings index (run `loadgen kb index`)');
  }
  const research = [
    {
      name: 'arxiv_search' as const,
      config: options.mcp?.arxiv,
      server: 'arxiv',
      variables: 'MCP_ARXIV_URL or MCP_ARXIV_COMMAND',
      citeIds: arxivIds,
    },
    {
      name: 'semantic_scholar' as const,
      config: options.mcp?.semanticScholar,
      server: 'semantic-scholar',
      variables: 'MCP_SEMANTIC_SCHOLAR_URL or MCP_SEMANTIC_SCHOLAR_COMMAND',
      citeIds: semanticScholarIds,
    },
  ];
  for (const tool of research) {
    if (!tool.config) {
      registry.notOffered(tool.name, `no MCP server configured (${tool.variables})`);
      continue;
    }
    const connection = new McpConnection(tool.server, tool.config, logger);
    registry.addConnection(connection);
    add(
      createMcpSearchTool({
        name: tool.name,
        connection,
        remoteTool: tool.config.tool,
        citeIds: tool.citeIds,
        logger,
      }),
    );
  }
  return registry;
}
