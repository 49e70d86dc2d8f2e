import { Faker, base, en, en_US } from '@faker-js/faker';
import type { Random } from '../shared/random.js';

/** The kinds of personal data a question can carry. */
export const PII_KINDS = ['email', 'phone', 'address'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface InjectedPii {
  query: string;
  /** The values put into the question, so tests and reports can find them. */
  values: { name: string } & Partial<Record<PiiKind, string>>;
}

type Values = InjectedPii['values'];

/** Ways a user volunteers personal data; `{q}` is the question. Every one names the person. */
const FRAMES: ((v: Values, q: string) => string)[] = [
  (v, q) => `Hi, I'm ${v.name} (${v.email}). ${q}`,
  (v, q) => `${q} You can reach me, ${v.name}, at ${v.phone} if that's easier.`,
  (v, q) => `My name is ${v.name} and my email is ${v.email}. ${q}`,
  (v, q) => `${q} Please send the write-up to ${v.name}, ${v.address}.`,
  (v, q) => `This is ${v.name}, phone ${v.phone}, email ${v.email}. ${q}`,
  (v, q) => `${q}\n\nThanks,\n${v.name}\n${v.address}\n${v.phone}`,
  (v, q) => `Hello from ${v.name} at ${v.address}. ${q} Reply to ${v.email} please.`,
  (v, q) => `${q} (Account holder: ${v.name}, ${v.email}, tel. ${v.phone})`,
];

/** Which values each frame uses, so only those are reported as injected. */
const FRAME_KINDS: PiiKind[][] = [
  ['email'],
  ['phone'],
  ['email'],
  ['address'],
  ['phone', 'email'],
  ['address', 'phone'],
  ['address', 'email'],
  ['email', 'phone'],
];

/**
 * Puts realistic personal data (names, emails, phones, postal addresses from @faker-js/faker) into
 * questions. Seeded: the same seed and the same calls give the same text.
 */
export class PiiInjector {
  private readonly faker = new Faker({ locale: [en_US, en, base] });

  constructor(private readonly random: Random) {
    this.faker.seed(random.int(0, 0x7fffffff));
  }

  inject(query: string): InjectedPii {
    const frameIndex = this.random.int(0, FRAMES.length - 1);
    const first = this.faker.person.firstName();
    const last = this.faker.person.lastName();
    const all = {
      name: `${first} ${last}`,
      email: this.faker.internet.email({ firstName: first, lastName: last }).toLowerCase(),
      phone: this.faker.phone.number({ style: 'national' }),
      address:
        `${this.faker.location.streetAddress()}, ${this.faker.location.city()}, ` +
        `${this.faker.location.state({ abbreviated: true })} ${this.faker.location.zipCode('#####')}`,
    };
    const values: Values = { name: all.name };
    for (const kind of FRAME_KINDS[frameIndex] ?? []) {
      values[kind] = all[kind];
    }
    return { query: (FRAMES[frameIndex] as (v: Values, q: string) => string)(all, query), values };
  }
}

/**
 * Exactly `round(total × percentage / 100)` indices, chosen at random: the PII share is what was asked
 * for, not an approximation of it.
 */
export function choosePiiIndices(total: number, percentage: number, random: Random): Set<number> {
  const count = Math.round((total * percentage) / 100);
  const indices = random.shuffle(Array.from({ length: total }, (_, i) => i));
  return new Set(indices.slice(0, count));
}
