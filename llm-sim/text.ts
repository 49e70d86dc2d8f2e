import type { Random } from '../shared/random.js';

const STOP_WORDS = new Set(
  (
    'a an and are as at be but by can could do does for from has have how i if in into is it its me my no not of ' +
    'on or our please should so than that the their them then there these this to us was we what when where which ' +
    'who why will with would you your about tell explain give some any more most also just'
  ).split(' '),
);

/** Lower-case words of `text` (letters, digits, inner hyphens). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu) ?? [];
}

/** The distinct non-stop-words of `text`, in order: what a model would search for. */
export function keywords(text: string, limit = 8): string[] {
  const seen = new Set<string>();
  for (const word of words(text)) {
    if (word.length > 2 && !STOP_WORDS.has(word) && !word.includes('redacted')) {
      seen.add(word);
      if (seen.size >= limit) {
        break;
      }
    }
  }
  return [...seen];
}

/** Token count the way the simulator bills it: about four characters per token. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const FILLER = (
  'the approach works by comparing each option against the expected outcome and keeping what improves it ' +
  'in practice you would start with a simple baseline then measure the result before adding complexity ' +
  'this matters because small changes in the setup often have large effects on stability and cost ' +
  'a useful rule of thumb is to tune one parameter at a time and record what changed'
).split(' ');

/** A quality marker: the ground truth a judge request reads back. */
export function qualityMarker(positive: number, negative: number): string {
  return `[[sim:p=${positive.toFixed(3)},n=${negative.toFixed(3)}]]`;
}

const MARKER = /\[\[sim:p=([0-9.]+),n=([0-9.]+)\]\]/g;

/** `text` without quality markers, so they do not leak into keywords. */
export function stripMarkers(text: string): string {
  return text.replace(MARKER, ' ');
}

/** The last quality marker in `text`, if any. */
export function lastMarker(text: string): { positive: number; negative: number } | undefined {
  let found: { positive: number; negative: number } | undefined;
  for (const match of text.matchAll(MARKER)) {
    found = { positive: Number(match[1]), negative: Number(match[2]) };
  }
  return found;
}

/**
 * Prose of about `tokens` tokens about `topicWords`, citing `citations`, ending with `marker`. The words come
 * from the question so that answers read as on-topic, never from tool output.
 */
export function prose(
  random: Random,
  tokens: number,
  topicWords: readonly string[],
  citations: readonly string[],
  marker: string,
): string {
  const budget = Math.max(1, tokens * 4 - marker.length - 1);
  const topic = topicWords.length > 0 ? topicWords : ['this'];
  const parts: string[] = [`Here is what matters about ${topic.slice(0, 3).join(', ')}.`];
  let length = parts[0]?.length ?? 0;
  let cited = 0;
  while (length < budget) {
    const sentence: string[] = [];
    const size = random.int(8, 16);
    for (let i = 0; i < size; i++) {
      sentence.push(random.bool(0.25) ? random.pick(topic) : random.pick(FILLER));
    }
    let text = sentence.join(' ');
    text = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
    if (cited < citations.length) {
      text += ` ${citations[cited++]}`;
    }
    parts.push(`${text}.`);
    length += text.length + 2;
  }
  let body = parts.join(' ');
  if (body.length > budget) {
    // Cut at a word boundary, as a model stopped by max_tokens would.
    const cut = body.slice(0, budget);
    body = cut.includes(' ') ? cut.slice(0, cut.lastIndexOf(' ')) : cut;
  }
  return `${body.trimEnd()} ${marker}`;
}
