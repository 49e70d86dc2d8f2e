import { STOPWORDS, GENERIC_HEADINGS } from './stopwords.js';

/** A subject users ask about, grounded in the chunks it came from. */
export interface Topic {
  /** Human-readable name, e.g. "The Bellman optimality equation". */
  name: string;
  /** The name as it reads inside a sentence ("dynamic programming for known models"); `name` when absent. */
  phrase?: string;
  /** Lower-case key terms; each occurs in the text of the topic's source chunks. */
  terms: string[];
  /** Ids of the knowledge-base chunks the topic was drawn from. */
  chunkIds: string[];
  /** How it was found. */
  source: 'heading' | 'phrase' | 'llm';
}

/** The part of a knowledge-base chunk that topic extraction reads (shared/kb/loader.ts's `KbChunk`). */
export interface TopicChunk {
  id: string;
  docId: string;
  title: string;
  heading?: string;
  text: string;
}

/** Lower-case words of `text` (letters, digits, inner hyphens and apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];
}

function contentWord(word: string): boolean {
  return word.length >= 3 && !STOPWORDS.has(word) && !/^\d+$/.test(word);
}

function containsTerm(haystack: string, term: string): boolean {
  const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}`, 'u').test(haystack);
}

/**
 * The topic restricted to what its sources support: chunk ids that exist, and only if every key term occurs
 * (case-insensitively, at a word start) in the text of those chunks. `undefined` when it is not grounded.
 */
export function groundTopic(topic: Topic, chunksById: Map<string, TopicChunk>): Topic | undefined {
  const chunkIds = [...new Set(topic.chunkIds)].filter((id) => chunksById.has(id));
  const terms = [...new Set(topic.terms.map((t) => t.toLowerCase().trim()).filter((t) => t !== ''))];
  if (chunkIds.length === 0 || terms.length === 0 || topic.name.trim() === '') {
    return undefined;
  }
  const text = chunkIds.map((id) => chunksById.get(id)?.text.toLowerCase() ?? '').join('\n');
  if (!terms.every((term) => containsTerm(text, term))) {
    return undefined;
  }
  return { ...topic, name: topic.name.trim(), terms, chunkIds };
}

/**
 * A heading word as the source text spells it: the word itself, or its singular when only that occurs
 * ("equations" in a heading, "equation" in the text).
 */
function groundedForm(word: string, text: string): string | undefined {
  if (containsTerm(text, word)) {
    return word;
  }
  const singular = word.endsWith('ies')
    ? `${word.slice(0, -3)}y`
    : word.endsWith('s')
      ? word.slice(0, -1)
      : '';
  return singular.length >= 3 && containsTerm(text, singular) ? singular : undefined;
}

/** Words the text spells in lower case somewhere: evidence that a capitalised form is not a proper name. */
export function lowerCaseWords(texts: Iterable<string>): Set<string> {
  const found = new Set<string>();
  for (const text of texts) {
    for (const word of text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? []) {
      if (word === word.toLowerCase()) {
        found.add(word);
      }
    }
  }
  return found;
}

/**
 * A title-cased heading as it reads mid-sentence: a capitalised word goes to lower case when the knowledge
 * base also writes it (or its singular or plural) in lower case, so "Dynamic Programming for Known Models"
 * becomes "dynamic programming for known models" while "Markov" and "Monte Carlo" keep their capitals.
 */
export function sentencePhrase(name: string, lowerWords: Set<string>): string {
  return name
    .split(' ')
    .map((word) => {
      const bare = word.replace(/[^\p{L}\p{N}'’-]/gu, '');
      if (!/^\p{Lu}[\p{Ll}'’-]*$/u.test(bare) && !/^\p{Lu}\p{Ll}+(?:-\p{Lu}?\p{Ll}+)+$/u.test(bare)) {
        return word;
      }
      const lower = bare.toLowerCase();
      const known = [lower, `${lower}s`, lower.replace(/s$/, ''), lower.replace(/es$/, '')].some((w) =>
        lowerWords.has(w),
      );
      return known ? word.replace(bare, lower) : word;
    })
    .join(' ');
}

function headingTopics(chunks: TopicChunk[], lowerWords: Set<string>): Topic[] {
  const sections = new Map<string, { name: string; chunks: TopicChunk[] }>();
  for (const chunk of chunks) {
    // A chunk above the first sub-heading is about the document as a whole: its title is the topic.
    const name = (chunk.heading ?? chunk.title)
      .replace(/[#*_`]/g, '')
      .replace(/[?:.!]+$/, '')
      .trim();
    if (name === '' || GENERIC_HEADINGS.has(name.toLowerCase())) {
      continue;
    }
    const key = `${chunk.docId}\u0000${name.toLowerCase()}`;
    const section = sections.get(key) ?? { name, chunks: [] };
    section.chunks.push(chunk);
    sections.set(key, section);
  }
  const topics: Topic[] = [];
  for (const { name, chunks: sourceChunks } of sections.values()) {
    const text = sourceChunks.map((c) => c.text.toLowerCase()).join('\n');
    const terms = [...new Set(words(name).filter(contentWord))]
      .map((word) => groundedForm(word, text))
      .filter((term): term is string => term !== undefined);
    if (terms.length > 0) {
      const phrase = sentencePhrase(name, lowerWords);
      topics.push({
        name,
        ...(phrase !== name ? { phrase } : {}),
        terms,
        chunkIds: sourceChunks.map((c) => c.id),
        source: 'heading',
      });
    }
  }
  return topics;
}

interface PhraseStats {
  count: number;
  chunkCounts: Map<string, number>;
}

/** Two- and three-word phrases of content words that recur, ranked by frequency times spread. */
function phraseTopics(chunks: TopicChunk[], limit: number): Topic[] {
  const stats = new Map<string, PhraseStats>();
  for (const chunk of chunks) {
    // Phrases do not cross sentence or clause punctuation.
    for (const clause of chunk.text.split(/[.,;:!?()[\]{}"“”\n]+/)) {
      const tokens = words(clause);
      for (let n = 2; n <= 3; n++) {
        for (let i = 0; i + n <= tokens.length; i++) {
          const gram = tokens.slice(i, i + n);
          if (!contentWord(gram[0] as string) || !contentWord(gram[n - 1] as string)) {
            continue;
          }
          if (gram.some((w) => /^\d+$/.test(w))) {
            continue;
          }
          const phrase = gram.join(' ');
          const entry = stats.get(phrase) ?? { count: 0, chunkCounts: new Map<string, number>() };
          entry.count++;
          entry.chunkCounts.set(chunk.id, (entry.chunkCounts.get(chunk.id) ?? 0) + 1);
          stats.set(phrase, entry);
        }
      }
    }
  }
  const ranked = [...stats.entries()]
    .filter(([, s]) => s.count >= 2)
    .map(([phrase, s]) => ({ phrase, s, score: s.count * Math.log2(1 + s.chunkCounts.size) }))
    // Ties broken by the phrase itself so that extraction does not depend on Map order.
    .sort((a, b) => b.score - a.score || a.phrase.localeCompare(b.phrase));
  const topics: Topic[] = [];
  for (const { phrase, s } of ranked) {
    if (topics.length >= limit) {
      break;
    }
    // A shorter phrase inside a kept longer one (or the reverse) is the same subject.
    if (topics.some((t) => t.name.includes(phrase) || phrase.includes(t.name))) {
      continue;
    }
    const chunkIds = [...s.chunkCounts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([id]) => id);
    topics.push({ name: phrase, terms: words(phrase).filter(contentWord), chunkIds, source: 'phrase' });
  }
  return topics;
}

function termKey(topic: Topic): string {
  return [...topic.terms].sort().join(' ');
}

export interface ExtractOptions {
  /** Upper bound on the number of topics (default 40). */
  maxTopics?: number;
}

/**
 * Topics from the knowledge base without an LLM: every non-generic heading (with its section's chunks), then
 * recurring key phrases until `maxTopics`. Deterministic: the same chunks give the same topics in the same
 * order. Every topic returned is grounded (see {@link groundTopic}).
 */
export function extractTopics(chunks: TopicChunk[], options: ExtractOptions = {}): Topic[] {
  const maxTopics = options.maxTopics ?? 40;
  const chunksById = new Map(chunks.map((c) => [c.id, c]));
  const topics: Topic[] = [];
  const seen = new Set<string>();
  const add = (topic: Topic) => {
    const grounded = groundTopic(topic, chunksById);
    if (grounded && topics.length < maxTopics && !seen.has(termKey(grounded))) {
      seen.add(termKey(grounded));
      topics.push(grounded);
    }
  };
  headingTopics(chunks, lowerCaseWords(chunks.map((c) => c.text))).forEach(add);
  phraseTopics(chunks, maxTopics * 2).forEach(add);
  return topics;
}
