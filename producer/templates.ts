import type { Complexity } from '../shared/query-job.js';
import type { Random } from '../shared/random.js';
import type { Topic } from './topics.js';

/** What a question template fills in. */
interface Slots {
  /** The topic as a noun phrase, e.g. "the Bellman optimality equation". */
  s: string;
  /** One of its key terms. */
  term: string;
  /** Another topic, for comparisons. */
  other: string;
}

type Template = (v: Slots) => string;

const TEMPLATES: Record<Complexity, Template[]> = {
  basic: [
    (v) => `What is ${v.s}?`,
    (v) => `Can you explain ${v.s} in simple terms?`,
    (v) => `I'm new to this. What does "${v.term}" mean when people talk about ${v.s}?`,
    (v) => `Give me a quick overview of ${v.s}.`,
    (v) => `What's the basic idea behind ${v.s}?`,
    (v) => `Why does ${v.s} matter?`,
    (v) => `Is there a short definition of ${v.s} I can remember?`,
  ],
  intermediate: [
    (v) => `How does ${v.s} work in practice, and where does ${v.term} come in?`,
    (v) => `What are the main trade-offs of ${v.s}?`,
    (v) => `Can you walk me through ${v.s} step by step?`,
    (v) => `When should I rely on ${v.s}, and when is it the wrong tool?`,
    (v) => `How is ${v.s} related to ${v.other}?`,
    (v) => `What mistakes do people commonly make with ${v.s}?`,
    (v) => `Could you give a worked example of ${v.s}?`,
  ],
  advanced: [
    (v) => `Compare ${v.s} with ${v.other}: where do they differ in theory, and when does each break down?`,
    (v) => `What assumptions does ${v.s} rely on, and what goes wrong when they do not hold?`,
    (v) => `How would you scale ${v.s} to a much larger problem, and what are the pitfalls?`,
    (v) => `Sketch why ${v.s} works, and explain the role ${v.term} plays in the argument.`,
    (v) => `What are the open questions or known limitations around ${v.s}?`,
    (v) =>
      `I'm applying ${v.s} to my own problem and the results look unstable. What could be going wrong with ` +
      `${v.term}, and how would you diagnose it?`,
    (v) => `How do the guarantees of ${v.s} change if you combine it with ${v.other}?`,
  ],
};

const OPENERS = ['', '', '', 'Hi! ', 'Quick question: ', 'Hello, ', 'Hey there. '];
const CLOSERS = ['', '', '', ' Thanks!', ' An example would help.', ' Please keep it short.', ' Thank you.'];
const QUESTION_WORDS = /^(how|why|what|when|where|which|who|is|are|does|do|can|should)\b/i;

/**
 * The topic as a noun phrase inside a sentence: its sentence form, with a leading "The"/"A" lower-cased;
 * proper names such as "Bellman" or "Markov" keep their capitals.
 */
export function nounPhrase(topic: Pick<Topic, 'name' | 'phrase'>): string {
  const trimmed = (topic.phrase ?? topic.name).trim().replace(/[?.!:]+$/, '');
  return trimmed.replace(/^(The|A|An)\b/, (m) => m.toLowerCase());
}

/** A question about `topic` from varied templates; every random choice comes from `random`. */
export function templateQuestion(topic: Topic, other: Topic, complexity: Complexity, random: Random): string {
  const opener = random.pick(OPENERS);
  const closer = random.pick(CLOSERS);
  const term = random.pick(topic.terms);
  let body: string;
  // "What is X" as a heading is about X.
  const definition = /^(?:what|who) (?:is|are) (.+)$/i.exec(nounPhrase(topic));
  if (definition?.[1]) {
    topic = { ...topic, phrase: definition[1] };
  }
  if (!definition && QUESTION_WORDS.test(topic.name.trim())) {
    // A heading that is a question clause ("How X differs from Y") becomes "Can you explain how X differs…".
    const clause = lowerFirst(nounPhrase(topic));
    body =
      complexity === 'basic'
        ? `Can you explain ${clause}?`
        : `Can you explain ${clause}, and what role ${term} plays in it?`;
  } else {
    const template = random.pick(TEMPLATES[complexity]);
    body = template({ s: nounPhrase(topic), term, other: nounPhrase(other) });
  }
  if (opener.endsWith(': ') || opener.endsWith(', ')) {
    body = lowerFirst(body);
  }
  return `${opener}${body}${closer}`;
}

function lowerFirst(text: string): string {
  // "I" and acronyms stay as they are.
  return /^(I\b|I'|[A-Z]{2})/.test(text) ? text : text.charAt(0).toLowerCase() + text.slice(1);
}
