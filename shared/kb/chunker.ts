/** A piece of a document small enough to embed or show a model, with the heading it sits under. */
export interface KbChunk {
  /** `${docId}#${index}`: stable while the document and the chunk settings do not change. */
  id: string;
  docId: string;
  /** Title of the document the chunk comes from. */
  title: string;
  /** Nearest markdown heading above the chunk, if any. */
  heading?: string;
  text: string;
  /** Position of the chunk within its document, from 0. */
  index: number;
}

export interface ChunkSettings {
  /** Upper bound on a chunk's text length, in characters. */
  chunkChars: number;
  /** Upper bound on the text a chunk repeats from the end of the previous one (whole sentences). */
  overlapChars: number;
}

export const DEFAULT_CHUNK_SETTINGS: ChunkSettings = { chunkChars: 1000, overlapChars: 150 };

interface Section {
  heading?: string;
  body: string;
}

const HEADING = /^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^ {0,3}(```|~~~)/;

/**
 * Splits markdown (or plain text written with markdown headings) into sections, one per heading. Headings
 * inside code fences are text, not headings.
 */
export function splitSections(text: string): Section[] {
  const sections: Section[] = [];
  let current: Section = { body: '' };
  let inFence = false;
  for (const line of text.split(/\r?\n/)) {
    if (FENCE.test(line)) {
      inFence = !inFence;
    }
    const match = inFence ? null : HEADING.exec(line);
    if (match?.[2]) {
      sections.push(current);
      current = { heading: match[2], body: '' };
    } else {
      current.body += `${line}\n`;
    }
  }
  sections.push(current);
  return sections.filter((section) => section.body.trim() !== '');
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Sentences of `body`, whitespace collapsed. A sentence longer than `max` is cut at word boundaries (or hard,
 * for a single enormous word) so that no unit is longer than `max`.
 */
export function sentences(body: string, max: number): string[] {
  const units: string[] = [];
  // Paragraphs first: a heading-less list or a line without a full stop still ends at a blank line.
  for (const paragraph of body.split(/\n\s*\n/)) {
    const flat = paragraph.replace(/\s+/g, ' ').trim();
    if (flat === '') {
      continue;
    }
    for (const { segment } of segmenter.segment(flat)) {
      const sentence = segment.trim();
      if (sentence !== '') {
        units.push(...cutLong(sentence, max));
      }
    }
  }
  return units;
}

function cutLong(sentence: string, max: number): string[] {
  if (sentence.length <= max) {
    return [sentence];
  }
  const pieces: string[] = [];
  let piece = '';
  for (const word of sentence.split(' ')) {
    for (let start = 0; start < word.length; start += max) {
      const part = word.slice(start, start + max);
      const joined = piece === '' ? part : `${piece} ${part}`;
      if (joined.length <= max) {
        piece = joined;
      } else {
        pieces.push(piece);
        piece = part;
      }
    }
  }
  if (piece !== '') {
    pieces.push(piece);
  }
  return pieces;
}

/**
 * Packs sentences into chunks of at most `chunkChars`. Each chunk after the first in a section starts with
 * the last whole sentences of the previous chunk, up to `overlapChars`, so that an answer straddling a cut
 * is still found whole in one chunk. Chunks never span two sections, so each has one nearest heading.
 */
export function chunkText(
  docId: string,
  title: string,
  text: string,
  settings: ChunkSettings = DEFAULT_CHUNK_SETTINGS,
): KbChunk[] {
  const { chunkChars, overlapChars } = settings;
  const chunks: KbChunk[] = [];
  const push = (units: string[], heading: string | undefined) => {
    const index = chunks.length;
    chunks.push({
      id: `${docId}#${index}`,
      docId,
      title,
      ...(heading === undefined ? {} : { heading }),
      text: units.join(' '),
      index,
    });
  };
  for (const section of splitSections(text)) {
    let current: string[] = [];
    let length = 0;
    // Whether `current` holds a sentence not yet emitted (not just overlap carried over).
    let fresh = false;
    for (const unit of sentences(section.body, chunkChars)) {
      const added = length === 0 ? unit.length : length + 1 + unit.length;
      if (added > chunkChars && fresh) {
        push(current, section.heading);
        current = overlapTail(current, overlapChars, chunkChars - unit.length - 1);
        length = joinedLength(current);
        fresh = false;
      } else if (added > chunkChars) {
        // Only overlap is held and the new sentence does not fit beside it: drop the overlap.
        current = [];
        length = 0;
      }
      current.push(unit);
      length = joinedLength(current);
      fresh = true;
    }
    if (fresh) {
      push(current, section.heading);
    }
  }
  return chunks;
}

/** The longest run of whole trailing sentences of `units` whose joined length is within both limits. */
function overlapTail(units: string[], overlapChars: number, room: number): string[] {
  const limit = Math.min(overlapChars, room);
  const tail: string[] = [];
  let length = 0;
  for (let i = units.length - 1; i >= 0; i--) {
    const unit = units[i] as string;
    const next = tail.length === 0 ? unit.length : length + 1 + unit.length;
    if (next > limit) {
      break;
    }
    tail.unshift(unit);
    length = next;
  }
  // A chunk that is entirely overlap would repeat itself forever; keep at least one new sentence's worth.
  return tail.length === units.length ? tail.slice(1) : tail;
}

function joinedLength(units: string[]): number {
  return units.reduce((sum, unit, i) => sum + unit.length + (i === 0 ? 0 : 1), 0);
}
