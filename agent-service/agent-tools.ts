import type { Env } from '../shared/config.js';
import { loadKnowledgeBase } from '../shared/kb/index.js';
import { createOpenAIClient, type LlmSettings } from '../shared/llm/index.js';
import { redactUrl, type Logger } from '../shared/logger.js';
import type { AgentServiceConfig } from './config.js';
import { loadOrBuildRedisEmbeddingIndex } from './redis-embedding-index.js';
import { createKbTools, type ToolRegistry } from './tools/create-kb-tools.js';
import { mcpServersFromConfig } from './tools/tools-env.js';

/**
 * The tools the AI Configs may name: the knowledge base in KB_DIR, its embeddings index (loaded from Redis,
 * or built there under a lock by the first replica), and the MCP research tools when configured. Redis is
 * needed only while the index loads. An index that cannot be loaded or built stops start-up with the reason,
 * rather than silently serving variations without search_v2.
 */
export async function loadAgentTools(
  config: AgentServiceConfig,
  env: Env,
  llm: LlmSettings,
  logger: Logger,
): Promise<ToolRegistry> {
  const kb = await loadKnowledgeBase(config.KB_DIR, { logger });
  const openai = createOpenAIClient(llm, 'openai', `search_v2 embeddings (${config.KB_EMBEDDING_MODEL})`);
  let index;
  try {
    index = await loadOrBuildRedisEmbeddingIndex({
      kb,
      openai,
      model: config.KB_EMBEDDING_MODEL,
      redisUrl: config.REDIS_URL,
      redisPrefix: config.REDIS_PREFIX,
      connectionName: `${config.REDIS_PREFIX}:agent-service-kb`,
      logger,
    });
  } catch (err) {
    throw new Error(
      `agent-service: cannot load or build the embeddings index for search_v2 (Redis ${redactUrl(config.REDIS_URL)}, ` +
        `model ${config.KB_EMBEDDING_MODEL}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return createKbTools({ kb, index, openai, mcp: mcpServersFromConfig(config, env), logger });
}
