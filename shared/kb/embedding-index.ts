import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../redis.js';
import type { KbChunk } from './chunker.js';
import { embedTexts } from './embed-texts.js';
import type { KnowledgeBase } from './loader.js';

/** A chunk and its cosine similarity to a query. */
export interface ScoredChunk {
  chunk: KbChunk;
  score: number;
}

/** Embeddings of every chunk of one knowledge base under one model. */
export interface EmbeddingIndex {
  model: string;
  kbHash: string;
  /** The Redis key it is stored under. */
  key: string;
  dimensions: number;
  /** Aligned with `vectors`. */
  chunks: KbChunk[];
  /** Unit-length vectors. */
  vectors: Float32Array[];
  /** Whether this call built it (true) or loaded what another run or replica built (false). */
  built: boolean;
  /** The `topK` chunks most similar to a unit-length query vector whose score is at least `minScore`. */
  search(query: Float32Array, topK: number, minScore?: number): ScoredChunk[];
}

export interface IndexOptions {
  kb: KnowledgeBase;
  openai: OpenAI;
  /** Embeddings model, e.g. `text-embedding-3-small`. */
  model: string;
  redis: Redis;
  keys: RedisKeys;
  logger?: Logger;
  /** Rebuild even when a stored index exists. */
  force?: boolean;
  /** How long a stored index lives after its last use (default 30 days), so old bases do not pile up. */
  ttlSeconds?: number;
  /** How long to wait for another process that is building the same index (default 10 minutes). */
  waitMs?: number;
  batchSize?: number;
}

const FORMAT = 1;
const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;
const LOCK_MS = 120_000;
const POLL_MS = 250;
const EXTEND_LOCK =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

interface Stored {
  format: number;
  model: string;
  kbHash: string;
  dimensions: number;
  builtAt: string;
  chunkIds: string[];
  /** Every vector, concatenated, as little-endian float32 in base64. */
  vectors: string;
}

/**
 * The Redis key of the index for `kb` under `model`. It covers the base's content hash and its chunks (ids and
 * texts), so a change to the files or to the chunk settings gives a new key.
 */
export function embeddingIndexKey(kb: KnowledgeBase, model: string, keys: RedisKeys): string {
  const hash = createHash('sha256').update(kb.hash);
  for (const chunk of kb.chunks) {
    hash.update(`\0${chunk.id}\0${chunk.text}`);
  }
  return keys.key('kb-index', model, hash.digest('hex').slice(0, 32));
}

/**
 * Loads the embeddings index of `kb` from Redis, or builds it through the embeddings API and stores it there
 * for every replica to reuse until the base changes. When several processes start at once, one builds (under
 * a Redis lock) and the others wait for its result instead of paying for the same embeddings.
 */
export async function loadOrBuildEmbeddingIndex(options: IndexOptions): Promise<EmbeddingIndex> {
  const { kb, model, redis, logger } = options;
  const key = embeddingIndexKey(kb, model, options.keys);
  const lockKey = `${key}:lock`;
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const deadline = Date.now() + (options.waitMs ?? 600_000);
  let force = options.force ?? false;
  const reuse = async (): Promise<EmbeddingIndex | undefined> => {
    const stored = await redis.get(key);
    if (stored === null) {
      return undefined;
    }
    await redis.expire(key, ttl);
    const index = fromStored(JSON.parse(stored) as Stored, kb, key);
    logger?.info({ key, chunks: index.chunks.length, model }, 'embeddings index reused');
    return index;
  };
  for (;;) {
    const found = force ? undefined : await reuse();
    if (found) {
      return found;
    }
    const token = randomUUID();
    if ((await redis.set(lockKey, token, 'PX', LOCK_MS, 'NX')) === 'OK') {
      // A big base can take longer than LOCK_MS to embed: keep the lock while we work, so nobody else starts.
      const keepAlive = setInterval(() => {
        redis.eval(EXTEND_LOCK, 1, lockKey, token, LOCK_MS).catch(() => {});
      }, LOCK_MS / 3);
      keepAlive.unref();
      try {
        // Another process may have stored the index and released the lock between our read and our lock.
        const stored = force ? undefined : await reuse();
        if (stored) {
          return stored;
        }
        logger?.info({ chunks: kb.chunks.length, model }, 'building embeddings index');
        const vectors = await embedTexts(
          options.openai,
          model,
          kb.chunks.map(embeddingText),
          options.batchSize === undefined ? {} : { batchSize: options.batchSize },
        );
        const index = makeIndex({ model, kbHash: kb.hash, key, chunks: kb.chunks, vectors, built: true });
        await redis.set(key, JSON.stringify(toStored(index)), 'EX', ttl);
        logger?.info({ key, chunks: vectors.length, dimensions: index.dimensions }, 'embeddings index stored');
        return index;
      } finally {
        clearInterval(keepAlive);
        await releaseLock(redis, lockKey, token);
      }
    }
    // Someone else holds the lock: wait for their index rather than build the same one.
    force = false;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for another process to build the embeddings index ${key}`);
    }
    await delay(POLL_MS);
  }
}

/** What gets embedded for a chunk: where it sits, then its text, so a heading's words count. */
export function embeddingText(chunk: KbChunk): string {
  return [chunk.title, chunk.heading, chunk.text].filter(Boolean).join('\n');
}

async function releaseLock(redis: Redis, lockKey: string, token: string): Promise<void> {
  // Delete only our own lock: if the build outlived LOCK_MS, another process may hold it now.
  await redis.eval(
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
    1,
    lockKey,
    token,
  );
}

function toStored(index: EmbeddingIndex): Stored {
  const all = new Float32Array(index.vectors.length * index.dimensions);
  index.vectors.forEach((vector, i) => all.set(vector, i * index.dimensions));
  return {
    format: FORMAT,
    model: index.model,
    kbHash: index.kbHash,
    dimensions: index.dimensions,
    builtAt: new Date().toISOString(),
    chunkIds: index.chunks.map((chunk) => chunk.id),
    vectors: Buffer.from(all.buffer, all.byteOffset, all.byteLength).toString('base64'),
  };
}

function fromStored(stored: Stored, kb: KnowledgeBase, key: string): EmbeddingIndex {
  const byId = new Map(kb.chunks.map((chunk) => [chunk.id, chunk]));
  const chunks = stored.chunkIds.map((id) => byId.get(id));
  if (stored.format !== FORMAT || chunks.some((chunk) => chunk === undefined)) {
    throw new Error(`stored embeddings index ${key} does not match the knowledge base; rebuild with --force`);
  }
  const bytes = Buffer.from(stored.vectors, 'base64');
  // Copy into a fresh, aligned buffer: Float32Array needs a 4-byte aligned offset.
  const all = new Float32Array(new Uint8Array(bytes).buffer);
  const vectors = chunks.map((_, i) => all.slice(i * stored.dimensions, (i + 1) * stored.dimensions));
  return makeIndex({
    model: stored.model,
    kbHash: stored.kbHash,
    key,
    chunks: chunks as KbChunk[],
    vectors,
    built: false,
  });
}

function makeIndex(parts: Omit<EmbeddingIndex, 'search' | 'dimensions'>): EmbeddingIndex {
  const dimensions = parts.vectors[0]?.length ?? 0;
  return {
    ...parts,
    dimensions,
    search(query, topK, minScore = -1) {
      if (query.length !== dimensions) {
        throw new Error(`query vector has ${query.length} dimensions, the index ${dimensions}`);
      }
      const scored: ScoredChunk[] = [];
      parts.vectors.forEach((vector, i) => {
        let score = 0;
        for (let d = 0; d < dimensions; d++) {
          score += (vector[d] as number) * (query[d] as number);
        }
        if (score >= minScore) {
          scored.push({ chunk: parts.chunks[i] as KbChunk, score });
        }
      });
      return scored.sort((a, b) => b.score - a.score).slice(0, topK);
    },
  };
}
