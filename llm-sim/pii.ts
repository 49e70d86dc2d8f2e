/**
 * The simulator's own PII detector, so that "does this message contain personal data?" and "rewrite it with
 * [REDACTED]" get answers that follow the text, like a real model's would.
 */

const ALWAYS: readonly RegExp[] = [
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, // email
  /\b(?:\d[ -]?){13,16}\b/g, // payment card
  /\b\d{3}-\d{2}-\d{4}\b/g, // US SSN
  /\b[A-Z]{2}\d{6,9}\b/g, // passport / national ID style
  /(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b/g, // phone
];

const NAME = /\b[A-Z][a-z]+ [A-Z][a-z]+\b/g;
const ADDRESS =
  /\b\d{1,5} (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl)\b\.?/g;

export interface RedactOptions {
  /** Also personal names (two capitalised words). */
  names?: boolean;
  /** Also street addresses. */
  addresses?: boolean;
}

/** Whether `text` contains an email, phone, card or ID number. */
export function containsPii(text: string): boolean {
  return ALWAYS.some((pattern) => new RegExp(pattern.source).test(text));
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
    out = out.replace(NAME, '[REDACTED]');
  }
  return out;
}

/** Redaction options implied by a system prompt ("... personal names and postal addresses ..."). */
export function redactOptionsFor(systemPrompt: string): RedactOptions {
  const lower = systemPrompt.toLowerCase();
  return { names: /\bnames?\b/.test(lower), addresses: /\baddress(es)?\b/.test(lower) };
}
