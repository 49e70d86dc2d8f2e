import { loadOrBuildEmbeddingIndex, type EmbeddingIndex, type IndexOptions } from '../shared/kb/index.js';
import { checkRedis, createRedis, RedisKeys } from '../shared/redis.js';

export interface RedisEmbeddingIndexOptions extends Omit<IndexOptions, 'redis' | 'keys'> {
  redisUrl: string;
  redisPrefix: string;
  /** The Redis client name, e.g. `loadgen:kb-index`. */
  connectionName: string;
}

/**
 * Loads the knowledge base's embeddings index from Redis, or builds it there, on a connection of its own that
 * is closed whatever happens. Redis is checked first: with a dead one the index commands would wait forever,
 * so this fails fast naming the URL instead.
 */
export async function loadOrBuildRedisEmbeddingIndex(
  options: RedisEmbeddingIndexOptions,
): Promise<EmbeddingIndex> {
  const { redisUrl, redisPrefix, connectionName, ...indexOptions } = options;
  await checkRedis(redisUrl);
  const redis = createRedis(redisUrl, { connectionName });
  try {
    return await loadOrBuildEmbeddingIndex({ ...indexOptions, redis, keys: new RedisKeys(redisPrefix) });
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
