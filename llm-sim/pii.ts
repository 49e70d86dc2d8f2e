/**
 * The simulator's own PII detector, so that "does this message contain personal data?" and "rewrite it with
 * [REDACTED]" get answers that follow the text, like a real model's would. A real model recognises a
 * person's name or a street address on its own; the simulator does it with faker's English first names and
 * street suffixes (the data `loadgen run` injects), so those questions reach the security agent too.
 */
import { en } from '@faker-js/faker';

const ALWAYS: readonly RegExp[] = [
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, // email
  /\b(?:\d[ -]?){13,16}\b/g, // payment card
  /\b\d{3}-\d{2}-\d{4}\b/g, // US SSN
  /\b[A-Z]{2}\d{6,9}\b/g, // passport / national ID style
  /(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b/g, // phone
];

const alternatives = (words: Iterable<string>) =>
  [...new Set(words)].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
const names = (kind: 'first_name' | 'last_name') => Object.values(en.person?.[kind] ?? {}).flat() as string[];
const streetSuffixes = [
  ...(en.location?.street_suffix ?? []),
  ...['St', 'Ave', 'Rd', 'Blvd', 'Ln', 'Dr', 'Ct', 'Pl'],
];
const LAST = `(?:${alternatives(names('last_name'))})`;
/** A known first name and a known surname, maybe double-barrelled ("Ada Lovelace", "Ima O'Kon-Smith"). */
const NAME = new RegExp(`\\b(?:${alternatives(names('first_name'))}) ${LAST}(?:-${LAST})?\\b`, 'g');
/** Any two capitalised words: what redaction takes for a name too (too broad to decide *whether* there is PII). */
const CAPITALISED_PAIR = /\b[A-Z][a-z]+ [A-Z][a-z]+\b/g;
/**
 * A house number, up to four words ("S 9th", "Kuhn Mountain") and a street suffix, maybe an apartment or
 * suite, maybe the city, state and ZIP code ("…, North Alan, CA 00539"); without a suffix, the ZIP tail must
 * be there ("6851 Main, Adrianashire, ND 40093").
 */
const APT = `(?:,? (?:Apt\\.|Suite) \\d+)?`;
const TAIL = `,(?: [A-Z][A-Za-z'.-]*)+,? [A-Z]{2} \\d{5}(?:-\\d{4})?\\b`;
const ADDRESS = new RegExp(
  `\\b\\d{1,6} (?:[A-Z0-9][A-Za-z0-9'-]* ){0,4}` +
    `(?:(?:${alternatives(streetSuffixes)})\\b\\.?${APT}(?:${TAIL})?|[A-Z0-9][A-Za-z0-9'-]*${APT}${TAIL})`,
  'g',
);

export interface RedactOptions {
  /** Also personal names. */
  names?: boolean;
  /** Also street addresses. */
  addresses?: boolean;
}

/** Whether `text` contains an email, phone, card or ID number, a person's name or a street address. */
export function containsPii(text: string): boolean {
  return [...ALWAYS, NAME, ADDRESS].some((pattern) => new RegExp(pattern.source).test(text));
}

/** `text` with personal data replaced by `[REDACTED]`. */
export function redact(text: string, options: RedactOptions = {}): string {
  let out = text;
  if (options.addresses) {
    out = out.replace(ADDRESS, '[REDACTED]');
  }
  for (const pattern of ALWAYS) {
    out = out.replace(pattern, '[REDACTED]');
  }
  if (options.names) {
    out = out.replace(NAME, '[REDACTED]').replace(CAPITALISED_PAIR, '[REDACTED]');
  }
  return out;
}

/** Redaction options implied by a system prompt ("... personal names and postal addresses ..."). */
export function redactOptionsFor(systemPrompt: string): RedactOptions {
  const lower = systemPrompt.toLowerCase();
  return { names: /\bnames?\b/.test(lower), addresses: /\baddress(es)?\b/.test(lower) };
}
