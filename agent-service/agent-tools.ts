import type { Env } from '../shared/config.js';
import { loadOrBuildEmbeddingIndex } from '../shared/kb/embedding-index.js';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import { createOpenAIClient, type LlmSettings } from '../shared/llm-clients.js';
import { redactUrl, type Logger } from '../shared/logger.js';
import { checkRedis, createRedis, RedisKeys } from '../shared/redis.js';
import type { AgentServiceConfig } from './config.js';
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
  // A dead Redis would make the index commands wait forever; fail fast with the URL instead.
  await checkRedis(config.REDIS_URL);
  const redis = createRedis(config.REDIS_URL, { connectionName: `${config.REDIS_PREFIX}:agent-service-kb` });
  let index;
  try {
    index = await loadOrBuildEmbeddingIndex({
      kb,
      openai,
      model: config.KB_EMBEDDING_MODEL,
      redis,
      keys: new RedisKeys(config.REDIS_PREFIX),
      logger,
    });
  } catch (err) {
    throw new Error(
      `agent-service: cannot load or build the embeddings index for search_v2 (Redis ${redactUrl(config.REDIS_URL)}, ` +
        `model ${config.KB_EMBEDDING_MODEL}): ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
  return createKbTools({ kb, index, openai, mcp: mcpServersFromConfig(config, env), logger });
}
