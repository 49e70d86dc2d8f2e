import type { LlmSettings } from '../shared/llm-clients.js';
import type { Logger } from '../shared/logger.js';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import type { AgentServiceConfig } from './config.js';
import { createRerankingTool } from './tools/reranking.js';
import { createSearchV1Tool } from './tools/search-v1.js';
import type { AgentTool } from './tools/types.js';

export interface LoadedTools {
  byName: ReadonlyMap<string, AgentTool>;
  close(): Promise<void>;
}

/** The tools the AI Configs may name, over the knowledge base in KB_DIR. */
export async function loadAgentTools(
  config: AgentServiceConfig,
  _llm: LlmSettings,
  logger: Logger,
): Promise<LoadedTools> {
  const kb = await loadKnowledgeBase(config.KB_DIR, { logger });
  const tools = [createSearchV1Tool(kb), createRerankingTool(kb)];
  return { byName: new Map(tools.map((t) => [t.name, t])), close: async () => {} };
}
