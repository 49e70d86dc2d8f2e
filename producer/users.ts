import { ConfigError } from '../shared/errors.js';
import { OptionError } from './errors.js';
import type { UserContext } from '../shared/user-context.js';
import { userInSegment, type Manifest, type SegmentClause } from '../shared/manifest.js';
import type { Random } from '../shared/random.js';
import type { SegmentMix } from './options.js';

/**
 * Countries a generated user may come from, with a coarse region attribute. A segment's `country` clause
 * picks from its own list (e.g. the EU's) or, when negated, from these minus that list.
 */
const COUNTRY_REGIONS: Record<string, string> = {
  US: 'north-america',
  CA: 'north-america',
  MX: 'north-america',
  BR: 'south-america',
  AR: 'south-america',
  CL: 'south-america',
  GB: 'europe',
  CH: 'europe',
  NO: 'europe',
  DE: 'europe',
  FR: 'europe',
  ES: 'europe',
  IT: 'europe',
  NL: 'europe',
  PL: 'europe',
  SE: 'europe',
  IE: 'europe',
  JP: 'asia-pacific',
  KR: 'asia-pacific',
  IN: 'asia-pacific',
  SG: 'asia-pacific',
  AU: 'asia-pacific',
  NZ: 'asia-pacific',
  ZA: 'africa',
  NG: 'africa',
  KE: 'africa',
  AE: 'middle-east',
  IL: 'middle-east',
};
/** The other EU members, which segments name in their `country` lists. */
const OTHER_EU = new Set([
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'GR',
  'HU',
  'LV',
  'LT',
  'LU',
  'MT',
  'PT',
  'RO',
  'SK',
  'SI',
]);

/** Values an attribute can take when a clause only says what it must not be. */
const KNOWN_VALUES: Record<string, string[]> = {
  country: Object.keys(COUNTRY_REGIONS),
  plan: ['free', 'paid'],
};

function regionOf(country: string): string | undefined {
  return COUNTRY_REGIONS[country] ?? (OTHER_EU.has(country) ? 'europe' : undefined);
}

/** One attribute value that satisfies every clause on that attribute (clauses are ANDed). */
function valueFor(attribute: string, clauses: SegmentClause[], random: Random): string {
  const allowed = clauses.filter((c) => !c.negate);
  const denied = new Set(clauses.filter((c) => c.negate).flatMap((c) => c.values));
  let candidates =
    allowed.length > 0 ? [...(allowed[0]?.values ?? [])] : [...(KNOWN_VALUES[attribute] ?? [])];
  candidates = candidates.filter((v) => !denied.has(v) && allowed.every((c) => c.values.includes(v)));
  if (candidates.length === 0 && allowed.length === 0) {
    // An attribute we know nothing about, only what it must not be: any other value will do.
    return `not-${[...denied].join('-')}`.slice(0, 64);
  }
  if (candidates.length === 0) {
    throw new ConfigError(`no value of "${attribute}" satisfies the segment's rules`);
  }
  return random.pick(candidates);
}

/** A user context satisfying every rule of `segmentKey`; `key` is the LaunchDarkly context key. */
export function userForSegment(
  manifest: Manifest,
  segmentKey: string,
  key: string,
  random: Random,
): UserContext {
  const segment = manifest.segments[segmentKey];
  if (!segment) {
    throw new ConfigError(`unknown segment "${segmentKey}"`);
  }
  const byAttribute = new Map<string, SegmentClause[]>();
  for (const clause of segment.rules) {
    byAttribute.set(clause.attribute, [...(byAttribute.get(clause.attribute) ?? []), clause]);
  }
  const user: UserContext = { key, segment: segmentKey };
  for (const [attribute, clauses] of byAttribute) {
    user[attribute] = valueFor(attribute, clauses, random);
  }
  if (typeof user.country === 'string' && user.region === undefined) {
    const region = regionOf(user.country);
    if (region) {
      user.region = region;
    }
  }
  if (!userInSegment(manifest, segmentKey, user)) {
    throw new ConfigError(`could not build a user for segment "${segmentKey}" from its rules`);
  }
  return user;
}

/** Checks the mix against the manifest, naming the known segments when one is not. */
export function checkSegmentMix(manifest: Manifest, mix: SegmentMix): void {
  const known = Object.keys(manifest.segments);
  for (const key of Object.keys(mix)) {
    if (!known.includes(key)) {
      throw new OptionError(`invalid --segments: unknown segment "${key}" (known: ${known.join(', ')})`);
    }
  }
}

/**
 * Exactly how many of `total` items each segment gets (largest remainder), so the plan's mix is the mix
 * asked for, not a random approximation of it.
 */
export function allocate(mix: SegmentMix, total: number): Record<string, number> {
  const entries = Object.entries(mix).filter(([, w]) => w > 0);
  const sum = entries.reduce((a, [, w]) => a + w, 0);
  const shares = entries.map(([key, w]) => ({ key, exact: (w / sum) * total }));
  const counts: Record<string, number> = {};
  let given = 0;
  for (const { key, exact } of shares) {
    counts[key] = Math.floor(exact);
    given += Math.floor(exact);
  }
  const byRemainder = [...shares].sort(
    (a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)),
  );
  for (let i = 0; given < total; i++, given++) {
    const key = (byRemainder[i % byRemainder.length] as { key: string }).key;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function userKey(random: Random): string {
  let key = 'user-';
  for (let i = 0; i < 12; i++) {
    key += random.int(0, 35).toString(36);
  }
  return key;
}

export interface UserPlanOptions {
  queries: number;
  mix: SegmentMix;
  /** Size of a pool of returning users; absent means a fresh user per query. */
  pool?: number | undefined;
}

/**
 * One user per query, in a seeded random order of segments. With a pool, each segment gets its share of
 * the pool (at least one user) and its queries pick from it, so users come back.
 */
export function buildUsers(manifest: Manifest, options: UserPlanOptions, random: Random): UserContext[] {
  checkSegmentMix(manifest, options.mix);
  const perSegment = allocate(options.mix, options.queries);
  const order = random.shuffle(Object.entries(perSegment).flatMap(([key, n]) => Array<string>(n).fill(key)));
  if (options.pool === undefined) {
    return order.map((segment) => userForSegment(manifest, segment, userKey(random), random));
  }
  const poolSizes = allocate(options.mix, options.pool);
  const pools = new Map<string, UserContext[]>();
  for (const segment of Object.keys(perSegment)) {
    const size = Math.max(1, poolSizes[segment] ?? 0);
    pools.set(
      segment,
      Array.from({ length: size }, () => userForSegment(manifest, segment, userKey(random), random)),
    );
  }
  return order.map((segment) => ({ ...random.pick(pools.get(segment) ?? []) }));
}
