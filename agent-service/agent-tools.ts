import { loadKnowledgeBase } from '../shared/kb/index.js';
import { createOpenAIClient, type LlmSettings } from '../shared/llm/index.js';
import { redactUrl, type Logger } from '../shared/logger.js';
import type { AgentServiceConfig } from './config.js';
import { loadOrBuildRedisEmbeddingIndex } from './redis-embedding-index.js';
import { createKbTools, type ToolRegistry } from './tools/create-kb-tools.js';

/**
 * The tools the AI Configs may name: the knowledge base in KB_DIR, its embeddings index (loaded from Redis,
 * or built there under a lock by the first replica), and the MCP research tools when configured. Redis is
 * needed only while the index loads. An index that cannot be loaded or built stops start-up with the reason,
 * rather than silently serving variations without search_v2.
 */
export async function loadAgentTools(
  config: AgentServiceConfig,
  llm: LlmSettings,
  logger: Logger,
): Promise<ToolRegistry> {
  const kb = await loadKnowledgeBase(config.kbDir, { logger });
  const openai = createOpenAIClient(llm, 'openai', `search_v2 embeddings (${config.kbEmbeddingModel})`);
  let index;
  try {
    index = await loadOrBuildRedisEmbeddingIndex({
      kb,
      openai,
      model: config.kbEmbeddingModel,
      redisUrl: config.redisUrl,
      redisPrefix: config.redisPrefix,
      connectionName: `${config.redisPrefix}:agent-service-kb`,
      logger,
    });
  } catch (err) {
    throw new Error(
      `agent-service: cannot load or build the embeddings index for search_v2 (Redis ${redactUrl(config.redisUrl)}, ` +
        `model ${config.kbEmbeddingModel}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return createKbTools({ kb, index, openai, mcp: config.mcpServers, logger });
}
