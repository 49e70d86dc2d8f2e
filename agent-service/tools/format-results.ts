import type { KbChunk } from '../../shared/kb/index.js';
import type { ToolResult } from './types.js';

/** No tool result's `content` is longer than this, whatever the arguments (documented in the README). */
export const MAX_TOOL_RESULT_CHARS = 6000;
/** One search hit shows at most this much of its text. */
export const MAX_SNIPPET_CHARS = 1200;

/** One entry of a result list: an id to cite, a label line and a body. */
export interface ResultEntry {
  id: string;
  label: string;
  body: string;
}

/** Cuts `text` to `max` characters at a word boundary, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/**
 * Numbered entries, each `[n] id (label)` then its body, added whole while they fit under
 * `MAX_TOOL_RESULT_CHARS`. Only entries that made it into the text are cited.
 */
export function formatEntries(header: string, entries: ResultEntry[]): ToolResult {
  let content = header;
  const cited: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const block = `\n\n[${i + 1}] ${entry.id} (${entry.label})\n${truncate(entry.body, MAX_SNIPPET_CHARS)}`;
    const note = `\n\n(${entries.length - i} more result(s) left out to stay under ${MAX_TOOL_RESULT_CHARS} characters)`;
    if (content.length + block.length + note.length > MAX_TOOL_RESULT_CHARS) {
      content += note;
      break;
    }
    content += block;
    cited.push(entry.id);
  }
  return { content, cited };
}

/** Where a chunk comes from, for a result label: `Title > Heading`. */
export function chunkLabel(chunk: KbChunk, score: number): string {
  const place =
    chunk.heading && chunk.heading !== chunk.title ? `${chunk.title} > ${chunk.heading}` : chunk.title;
  return `${place}; score ${score.toFixed(3)}`;
}
