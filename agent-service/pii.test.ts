import { describe, expect, it } from 'vitest';
import { findPii, redactPii } from './pii.js';

const kinds = (text: string) => findPii(text).map((m) => m.kind);

describe('deterministic PII pass', () => {
  it.each([
    ['mail jane.doe+rl@example.co.uk today', 'email'],
    ['call (555) 123-4567', 'phone'],
    ['call 555-123-4567', 'phone'],
    ['call 1-555-123-4567', 'phone'],
    ['call 555.123.4567 x89', 'phone'],
    ['call +15551234567', 'phone'],
    ['call +44 20 7946 0958', 'phone'],
    ['call 020 7946 0958', 'phone'],
    ['card 4111 1111 1111 1111', 'card'],
    ['card 4111-1111-1111-1111', 'card'],
    ['card 5500005555555559', 'card'],
    ['SSN 123-45-6789', 'id'],
    ['IBAN DE89 3704 0044 0532 0130 00', 'id'],
  ])('finds %s', (text, kind) => {
    expect(kinds(text)).toEqual([kind]);
  });

  it.each([
    'arXiv 1707.06347',
    'on 2024-01-15 at noon',
    'gamma 0.99 and 1,000,000 steps',
    'version 1.2.3',
    'papers from 2017 2018 2019',
    'in 10 000 episodes',
    'a 16-digit number that fails Luhn 4111 1111 1111 1112',
    'What is the Bellman equation for Q(s, a)?',
  ])('leaves %s alone', (text) => {
    expect(findPii(text)).toEqual([]);
  });

  it('redacts every finding and keeps the rest word for word', () => {
    const { text, found } = redactPii('Mail a@b.io or call (555) 123-4567, card 4111 1111 1111 1111.');
    expect(text).toBe('Mail [REDACTED] or call [REDACTED], card [REDACTED].');
    expect(found.map((f) => f.kind)).toEqual(['email', 'phone', 'card']);
  });
});
