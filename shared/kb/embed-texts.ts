import type OpenAI from 'openai';

/** Texts per embeddings request: well under OpenAI's 2,048 inputs and 300k tokens for 1,000-character chunks. */
export const EMBED_BATCH_SIZE = 100;

/** Scales `vector` to unit length in place (cosine similarity then is a dot product). */
export function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) {
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) {
    for (let i = 0; i < vector.length; i++) {
      vector[i] = (vector[i] as number) / norm;
    }
  }
  return vector;
}

/**
 * Unit-length embeddings of `texts` through the OpenAI embeddings API (llm-sim speaks it too), in order,
 * batched. Throws if the provider returns a different number of vectors or mixed dimensions.
 */
export async function embedTexts(
  openai: OpenAI,
  model: string,
  texts: string[],
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<Float32Array[]> {
  const batchSize = options.batchSize ?? EMBED_BATCH_SIZE;
  const vectors: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    const response = await openai.embeddings.create(
      { model, input: batch },
      options.signal ? { signal: options.signal } : {},
    );
    if (response.data.length !== batch.length) {
      throw new Error(`embeddings API returned ${response.data.length} vectors for ${batch.length} texts`);
    }
    const ordered = [...response.data].sort((a, b) => a.index - b.index);
    vectors.push(...ordered.map((item) => normalize(Float32Array.from(item.embedding))));
  }
  const dims = vectors[0]?.length;
  if (vectors.some((v) => v.length !== dims)) {
    throw new Error('embeddings API returned vectors of different dimensions');
  }
  return vectors;
}
