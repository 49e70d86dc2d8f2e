/** The knowledge base: loading and chunking the documents, embedding them, and the embedding index. */
export { chunkText, type KbChunk } from './chunker.js';
export { embedTexts } from './embed-texts.js';
export { loadOrBuildEmbeddingIndex, type EmbeddingIndex, type IndexOptions } from './embedding-index.js';
export { kbEnv } from './kb-env.js';
export { loadKnowledgeBase, type KnowledgeBase } from './loader.js';
