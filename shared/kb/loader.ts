import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import type { Logger } from '../logger.js';
import { ConfigError } from '../errors.js';
import { chunkText, DEFAULT_CHUNK_SETTINGS, type ChunkSettings, type KbChunk } from './chunker.js';
import { contentHash, type HashedFile } from './content-hash.js';
import { pdfText } from './pdf-text.js';

export type { KbChunk } from './chunker.js';

/** One readable file of the knowledge base. */
export interface KbDocument {
  /** Path relative to the base's folder, `/`-separated, e.g. `q-learning.md`; unique in the base. */
  id: string;
  /** Absolute path of the file. */
  path: string;
  /** First heading, else the PDF's title, else the file name without extension. */
  title: string;
  text: string;
}

export interface KnowledgeBase {
  /** Absolute path of the folder. */
  dir: string;
  /** sha256 over every loaded file's relative path and bytes: changes when (and only when) the base does. */
  hash: string;
  documents: KbDocument[];
  chunks: KbChunk[];
}

export interface LoadOptions {
  /** Upper bound on a chunk's length in characters (default 1000, at least 100). */
  chunkChars?: number;
  /** Upper bound on the text a chunk repeats from the previous one (default 150, less than half a chunk). */
  overlapChars?: number;
  /** Receives a warning for each file that is skipped. */
  logger?: Logger;
}

/** File types the loader reads. */
export const KB_EXTENSIONS = ['.md', '.markdown', '.txt', '.pdf'] as const;

/** Files bigger than this are skipped: a knowledge base is prose, and one huge file would stall every start. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;

/**
 * Reads every `.md`, `.txt` and `.pdf` file under `dir` (recursively, hidden files ignored), chunks each at
 * sentence boundaries with overlap, and hashes the whole base. A file that cannot be read or parsed is named
 * in a warning and skipped; a folder with no readable document throws a `ConfigError`.
 */
export async function loadKnowledgeBase(dir: string, opts: LoadOptions = {}): Promise<KnowledgeBase> {
  const settings = chunkSettings(opts);
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ConfigError(`knowledge base folder ${root} does not exist or is not a folder (KB_DIR)`);
  }
  const files = await listFiles(root);
  const documents: KbDocument[] = [];
  const hashed: HashedFile[] = [];
  for (const path of files) {
    const id = relative(root, path).split(sep).join('/');
    try {
      const { size } = await stat(path);
      if (size > MAX_FILE_BYTES) {
        throw new Error(`larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
      }
      const bytes = await readFile(path);
      const { text, title } = await extract(path, bytes);
      if (text.trim() === '') {
        throw new Error('no text in it');
      }
      documents.push({ id, path, title: headingTitle(text) ?? title ?? fileTitle(path), text });
      hashed.push({ path: id, bytes });
    } catch (err) {
      opts.logger?.warn({ file: path, err: (err as Error).message }, 'knowledge base: skipping unreadable file');
    }
  }
  if (documents.length === 0) {
    throw new ConfigError(
      `knowledge base folder ${root} has no readable document (${KB_EXTENSIONS.join(', ')}; ` +
        `${files.length} candidate file(s) found)`,
    );
  }
  const chunks = documents.flatMap((doc) => chunkText(doc.id, doc.title, doc.text, settings));
  return { dir: root, hash: contentHash(hashed), documents, chunks };
}

function chunkSettings(opts: LoadOptions): ChunkSettings {
  const chunkChars = opts.chunkChars ?? DEFAULT_CHUNK_SETTINGS.chunkChars;
  const overlapChars = opts.overlapChars ?? DEFAULT_CHUNK_SETTINGS.overlapChars;
  if (!Number.isInteger(chunkChars) || chunkChars < 100) {
    throw new ConfigError(`chunkChars must be an integer of at least 100 (got ${chunkChars})`);
  }
  if (!Number.isInteger(overlapChars) || overlapChars < 0 || overlapChars * 2 > chunkChars) {
    throw new ConfigError(
      `overlapChars must be an integer from 0 to half of chunkChars (${chunkChars / 2}) (got ${overlapChars})`,
    );
  }
  return { chunkChars, overlapChars };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !relative(dir, path).split(sep).some((part) => part.startsWith('.')))
    .filter((path) => (KB_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase()))
    .sort();
}

async function extract(path: string, bytes: Buffer): Promise<{ text: string; title?: string }> {
  if (extname(path).toLowerCase() === '.pdf') {
    return pdfText(bytes);
  }
  if (bytes.includes(0)) {
    throw new Error('binary content in a text file');
  }
  return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

function headingTitle(text: string): string | undefined {
  return /^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/m.exec(text)?.[1];
}

function fileTitle(path: string): string {
  return basename(path, extname(path)).replace(/[-_]+/g, ' ');
}
