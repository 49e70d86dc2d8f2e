/** Kinds of personal data the deterministic pass finds. */
export type PiiKind = 'email' | 'phone' | 'card' | 'id';

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
}

/** What replaces each finding, as the security agents' instructions say it. */
export const REDACTED = '[REDACTED]';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// 13-19 digits in groups; confirmed by the Luhn checksum so that long numbers in prose are not taken for cards.
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
// US SSN, and IBANs (two letters, two check digits, then 11-30 alphanumerics, optionally in groups of four).
const SSN = /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g;
// A phone number: optional +country code, optional (area), then digit groups split by space, dot or dash,
// optionally an extension. Validated in code: 7-15 digits, and without + or () at least two separators and a
// last group of 3+ digits, so version numbers (1707.06347), dates (2024-01-15) and decimals do not match.
const PHONE =
  /(?<![\w+])(?:\+\d{7,15}(?!\d)|(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,5}(?:\s*(?:x|ext\.?)\s*\d{1,5})?)(?![\w])/gi;

/** Finds emails, phone numbers, payment card numbers and ID numbers (SSN, IBAN) in `text`. */
export function findPii(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  const add = (kind: PiiKind, pattern: RegExp, accept: (m: string) => boolean = () => true) => {
    for (const m of text.matchAll(pattern)) {
      const start = m.index;
      const end = start + m[0].length;
      if (accept(m[0]) && !found.some((f) => start < f.end && end > f.start)) {
        found.push({ kind, start, end });
      }
    }
  };
  add('email', EMAIL);
  add('card', CARD, (m) => luhn(m.replace(/\D/g, '')));
  add('id', SSN);
  add('id', IBAN);
  add('phone', PHONE, isPhone);
  return found.sort((a, b) => a.start - b.start);
}

/** `text` with every finding of {@link findPii} replaced by `[REDACTED]`. */
export function redactPii(text: string): { text: string; found: PiiMatch[] } {
  const found = findPii(text);
  let out = '';
  let at = 0;
  for (const match of found) {
    out += text.slice(at, match.start) + REDACTED;
    at = match.end;
  }
  return { text: out + text.slice(at), found };
}

function isPhone(candidate: string): boolean {
  const main = candidate.replace(/\s*(?:x|ext\.?)\s*\d+$/i, '');
  const digits = main.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) {
    return false;
  }
  if (/^\+|\(/.test(main)) {
    return true;
  }
  const groups = main.split(/[ .-]/);
  const last = groups[groups.length - 1] ?? '';
  // A list of years ("2017 2018 2019") is not a phone number.
  const years = groups.every((g) => /^(19|20)\d\d$/.test(g));
  return groups.length >= 3 && last.length >= 3 && !years;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  return sum % 10 === 0;
}
