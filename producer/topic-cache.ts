import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Topic } from './topics.js';

const CACHE_VERSION = 2;

const CachedSchema = z.object({
  version: z.literal(CACHE_VERSION),
  kbHash: z.string(),
  method: z.string(),
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

/**
 * Extracted topics on disk, keyed by the knowledge base's content hash and the method (and model), so an
 * unchanged base is analysed once. A file that is missing, unreadable or of another version is a miss.
 */
export class TopicCache {
  constructor(private readonly dir: string) {}

  private path(kbHash: string, method: string): string {
    const safe = method.replace(/[^A-Za-z0-9._-]+/g, '_');
    return join(this.dir, 'topics', `${kbHash.slice(0, 32)}-${safe}.json`);
  }

  async get(kbHash: string, method: string): Promise<Topic[] | undefined> {
    try {
      const parsed = CachedSchema.safeParse(JSON.parse(await readFile(this.path(kbHash, method), 'utf8')));
      return parsed.success && parsed.data.kbHash === kbHash && parsed.data.method === method
        ? parsed.data.topics
        : undefined;
    } catch {
      return undefined;
    }
  }

  async set(kbHash: string, method: string, topics: Topic[]): Promise<void> {
    const path = this.path(kbHash, method);
    await mkdir(join(this.dir, 'topics'), { recursive: true });
    // Write then rename, so two producers starting together never read half a file.
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: CACHE_VERSION, kbHash, method, topics }, null, 2));
    await rename(tmp, path);
  }
}
