/** One metric family of a Prometheus text exposition. */
export interface MetricFamily {
  name: string;
  type: string;
  help: string | undefined;
  /** Label names seen on its samples (without histogram's `le`). */
  labels: Set<string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format (`# HELP`, `# TYPE`, samples) into families by name. */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'untyped', help: undefined, labels: new Set(), samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') {
        family(name).help = rest;
      } else {
        family(name).type = rest;
      }
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) {
      continue;
    }
    const [, sampleName, labelText = '', value] = sample as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    const owner = [...families.values()].find(
      (f) =>
        f.name === sampleName ||
        (['histogram', 'summary'].includes(f.type) &&
          ['_bucket', '_sum', '_count'].some((suffix) => sampleName === f.name + suffix)),
    );
    const labels: Record<string, string> = {};
    for (const match of labelText.matchAll(LABEL)) {
      labels[match[1] as string] = match[2] as string;
    }
    const target = owner ?? family(sampleName);
    for (const label of Object.keys(labels)) {
      if (label !== 'le') {
        target.labels.add(label);
      }
    }
    target.samples.push({ name: sampleName, labels, value: Number(value) });
  }
  return families;
}

/** Names a PromQL query may select from a family: its own, plus `_bucket`, `_sum`, `_count` for histograms. */
export function selectableNames(family: MetricFamily): string[] {
  return ['histogram', 'summary'].includes(family.type)
    ? [family.name, `${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
    : [family.name];
}

const BASE_UNITS = ['seconds', 'bytes', 'meters', 'metres', 'grams', 'volts', 'amperes', 'joules', 'celsius'];
const UNIT_PREFIXES = [
  'pico',
  'nano',
  'micro',
  'milli',
  'centi',
  'deci',
  'kilo',
  'kibi',
  'mega',
  'mebi',
  'giga',
];
const TIME_UNITS = ['minutes', 'hours', 'days', 'weeks', 'months', 'years'];
/** promlint's list of abbreviated units. */
const ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;

/**
 * The problems `promtool check metrics` reports for a family (its promlint rules): help text, `_total` on
 * counters only, no reserved suffixes on other types, no colons, snake_case names and labels, base units
 * (seconds, bytes) rather than prefixed or abbreviated ones, ratios rather than percents, no type in the name.
 */
export function lintFamily(family: MetricFamily): string[] {
  const problems: string[] = [];
  const { name, type } = family;
  if (!family.help) {
    problems.push('no help text');
  }
  if (name.includes(':')) {
    problems.push("metric names should not contain ':'");
  }
  if (!SNAKE_CASE.test(name)) {
    problems.push("metric names should be written in 'snake_case' not 'camelCase'");
  }
  for (const label of family.labels) {
    if (!SNAKE_CASE.test(label)) {
      problems.push(`label ${label}: label names should be written in 'snake_case' not 'camelCase'`);
    }
  }
  if (type === 'counter' && !name.endsWith('_total')) {
    problems.push('counter metrics should have "_total" suffix');
  }
  if (type !== 'counter' && name.endsWith('_total')) {
    problems.push('non-counter metrics should not have "_total" suffix');
  }
  if (!['histogram', 'summary'].includes(type) && /_(bucket|sum|count)$/.test(name)) {
    problems.push(
      'non-histogram and non-summary metrics should not have "_bucket", "_sum" or "_count" suffixes',
    );
  }
  if (type !== 'untyped' && (name.includes(`_${type}_`) || name.endsWith(`_${type}`))) {
    problems.push(`metric name should not include type '${type}'`);
  }
  const words = name.split('_');
  for (const unit of BASE_UNITS) {
    for (const prefix of UNIT_PREFIXES) {
      if (words.includes(prefix + unit)) {
        problems.push(`use base unit "${unit}" instead of "${prefix}${unit}"`);
      }
    }
  }
  for (const unit of TIME_UNITS) {
    if (words.includes(unit)) {
      problems.push(`use base unit "seconds" instead of "${unit}"`);
    }
  }
  if (words.includes('percent')) {
    problems.push('use base unit "ratio" instead of "percent"');
  }
  if (words.slice(1).some((word) => ABBREVIATIONS.includes(word))) {
    problems.push('metric names should not contain abbreviated units');
  }
  return problems;
}
