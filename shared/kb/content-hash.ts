import { createHash } from 'node:crypto';

/** One file's contribution to the hash of a knowledge base. */
export interface HashedFile {
  /** Path relative to the base's folder, with `/` separators. */
  path: string;
  bytes: Uint8Array;
}

/**
 * sha256 of a set of files: each file's relative path and the sha256 of its bytes, in path order. Renaming,
 * adding, removing or editing a file changes it; the folder's location, file times and listing order do not.
 */
export function contentHash(files: HashedFile[]): string {
  const entries = files
    .map((file) => `${file.path}\0${createHash('sha256').update(file.bytes).digest('hex')}\n`)
    .sort();
  const hash = createHash('sha256');
  for (const entry of entries) {
    hash.update(entry);
  }
  return hash.digest('hex');
}
