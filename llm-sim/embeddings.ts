import { createHash } from 'node:crypto';
import { words } from './text.js';

/**
 * A deterministic embedding: hashed bag of words (each word adds a pseudo-random unit direction), L2-normalised.
 * Texts sharing words point the same way, so cosine similarity ranks related chunks above unrelated ones.
 */
export function embed(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const tokens = words(text);
  for (const token of tokens.length > 0 ? tokens : ['']) {
    const digest = createHash('sha256').update(token).digest();
    // Each word touches a few dimensions with a sign, so unrelated words rarely collide.
    for (let k = 0; k < 4; k++) {
      const index = digest.readUInt32LE(k * 4) % dimensions;
      const sign = (digest[16 + k] ?? 0) & 1 ? 1 : -1;
      vector[index] = (vector[index] ?? 0) + sign;
    }
  }
  let norm = 0;
  for (const v of vector) {
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) {
    vector[i] = (vector[i] ?? 0) / norm;
  }
  return vector;
}
