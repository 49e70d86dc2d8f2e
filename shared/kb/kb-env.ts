import { z } from 'zod';

/** Variables of the knowledge base, for the config schema of each process that reads it. */
export const kbEnv = {
  /** Folder of the knowledge base (.md, .txt, .pdf), relative to the working directory. */
  KB_DIR: z.string().min(1, 'must not be empty').default('kb'),
  /** Embeddings model for the semantic index (`loadgen kb index`, search_v2). */
  KB_EMBEDDING_MODEL: z.string().min(1, 'must not be empty').default('text-embedding-3-small'),
};
