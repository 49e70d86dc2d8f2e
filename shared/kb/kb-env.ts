import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../paths.js';

/** Variables of the knowledge base, for the config schema of each process that reads it. */
export const kbEnv = {
  /** Folder of the knowledge base (.md, .txt, .pdf); default: the sample base shipped in kb/. */
  KB_DIR: z.string().min(1, 'must not be empty').default(join(packageRoot, 'kb')),
  /** Embeddings model for the semantic index (`loadgen kb index`, search_v2). */
  KB_EMBEDDING_MODEL: z.string().min(1, 'must not be empty').default('text-embedding-3-small'),
};
