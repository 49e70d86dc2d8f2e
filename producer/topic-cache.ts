import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../shared/redis.js';
import type { Topic } from './topics.js';

const CACHE_VERSION = 2;

/** A knowledge base that has not changed in this long is analysed again. */
const TTL_SECONDS = 30 * 24 * 3600;

const CachedSchema = z.object({
  version: z.literal(CACHE_VERSION),
  topics: z.array(
    z.object({
      name: z.string(),
      phrase: z.string().optional(),
      terms: z.array(z.string()),
      chunkIds: z.array(z.string()),
      source: z.enum(['heading', 'phrase', 'llm']),
    }),
  ),
});

/** Where extracted topics are kept between runs. */
export interface TopicCache {
  get(kbHash: string, method: string): Promise<Topic[] | undefined>;
  set(kbHash: string, method: string, topics: Topic[]): Promise<void>;
}

/**
 * Extracted topics in Redis under the prefix (`<prefix>:topics:<kbHash>:<method>`), so every producer
 * sharing a Redis (the CLI, the dashboard, containers whose working directory is read-only) analyses an
 * unchanged base once, and no process writes local files. A value that is unreadable or of another version
 * is a miss.
 */
export class RedisTopicCache implements TopicCache {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private key(kbHash: string, method: string): string {
    return this.keys.key('topics', kbHash, method);
  }

  async get(kbHash: string, method: string): Promise<Topic[] | undefined> {
    const raw = await this.redis.get(this.key(kbHash, method));
    if (raw === null) {
      return undefined;
    }
    try {
      const parsed = CachedSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data.topics : undefined;
    } catch {
      return undefined;
    }
  }

  async set(kbHash: string, method: string, topics: Topic[]): Promise<void> {
    // One SET: two producers starting together each write a whole value, and either is right.
    await this.redis.set(
      this.key(kbHash, method),
      JSON.stringify({ version: CACHE_VERSION, topics }),
      'EX',
      TTL_SECONDS,
    );
  }
}
