import type { Random } from '../shared/random.js';

type Schema = Record<string, unknown>;

/** What generated values are made of: the text the model was given. */
export interface ValueContext {
  random: Random;
  /** Key words of the last user message; strings are built from them. */
  keywords: readonly string[];
  /** Values for properties by name (e.g. `contains_pii`, `redacted_text`, `query`), used when the type fits. */
  special: Record<string, unknown>;
}

/**
 * A value valid against `schema` (the JSON Schema subset that OpenAI structured outputs, Anthropic tools and
 * zod's `toJSONSchema` produce: object, array, string, number, integer, boolean, null, enum, const, anyOf,
 * oneOf, allOf, $ref to $defs/definitions).
 */
export function valueFor(schema: unknown, ctx: ValueContext, root: unknown = schema, depth = 0): unknown {
  const s = (typeof schema === 'object' && schema !== null ? schema : {}) as Schema;
  if (depth > 12) {
    return null;
  }
  if (typeof s.$ref === 'string') {
    return valueFor(resolveRef(root, s.$ref), ctx, root, depth + 1);
  }
  if ('const' in s) {
    return s.const;
  }
  if (Array.isArray(s.enum) && s.enum.length > 0) {
    return ctx.random.pick(s.enum);
  }
  const options = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(options) && options.length > 0) {
    // Prefer a non-null branch: a model fills optional fields more often than not.
    const nonNull = options.filter((o) => (o as Schema).type !== 'null');
    return valueFor(ctx.random.pick(nonNull.length > 0 ? nonNull : options), ctx, root, depth + 1);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    return valueFor(Object.assign({}, ...(s.allOf as Schema[])), ctx, root, depth + 1);
  }
  const type = pickType(s);
  switch (type) {
    case 'object':
      return objectValue(s, ctx, root, depth);
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 1;
      const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 3);
      const count = ctx.random.int(min, Math.max(min, max));
      return Array.from({ length: count }, () => valueFor(s.items, ctx, root, depth + 1));
    }
    case 'string':
      return stringValue(s, ctx);
    case 'integer':
    case 'number':
      return numberValue(s, ctx, type === 'integer');
    case 'boolean':
      return ctx.random.bool(0.5);
    case 'null':
      return null;
    default:
      return stringValue(s, ctx);
  }
}

function pickType(s: Schema): string | undefined {
  if (Array.isArray(s.type)) {
    const nonNull = (s.type as string[]).filter((t) => t !== 'null');
    return nonNull[0] ?? 'null';
  }
  if (typeof s.type === 'string') {
    return s.type;
  }
  if (s.properties) {
    return 'object';
  }
  if (s.items) {
    return 'array';
  }
  return undefined;
}

function objectValue(s: Schema, ctx: ValueContext, root: unknown, depth: number): Record<string, unknown> {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [name, propSchema] of Object.entries(props)) {
    const special = ctx.special[name];
    out[name] =
      special !== undefined && fits(special, propSchema, root)
        ? special
        : valueFor(propSchema, ctx, root, depth + 1);
  }
  return out;
}

function fits(value: unknown, schema: Schema, root: unknown): boolean {
  const s = typeof schema.$ref === 'string' ? (resolveRef(root, schema.$ref) as Schema) : schema;
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type];
  if (Array.isArray(s.enum)) {
    return s.enum.includes(value);
  }
  const actual = typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : undefined;
  if (actual === 'string' && typeof s.maxLength === 'number' && (value as string).length > s.maxLength) {
    return false;
  }
  return actual !== undefined && types.includes(actual);
}

function stringValue(s: Schema, ctx: ValueContext): string {
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  const max = typeof s.maxLength === 'number' ? s.maxLength : 200;
  if (s.format === 'date-time') {
    return new Date(Date.UTC(2025, 0, 1 + ctx.random.int(0, 364))).toISOString();
  }
  if (s.format === 'date') {
    return new Date(Date.UTC(2025, 0, 1 + ctx.random.int(0, 364))).toISOString().slice(0, 10);
  }
  if (s.format === 'email') {
    return 'user@example.com';
  }
  if (s.format === 'uri' || s.format === 'url') {
    return 'https://example.com/';
  }
  if (s.format === 'uuid') {
    return '00000000-0000-4000-8000-000000000000';
  }
  const pool = ctx.keywords.length > 0 ? ctx.keywords : ['answer'];
  const count = ctx.random.int(1, Math.min(4, pool.length));
  let text = Array.from({ length: count }, () => ctx.random.pick(pool)).join(' ');
  while (text.length < min) {
    text += ` ${ctx.random.pick(pool)}`;
  }
  return text.slice(0, max);
}

function numberValue(s: Schema, ctx: ValueContext, integer: boolean): number {
  const exclusiveMin = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : undefined;
  const exclusiveMax = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : undefined;
  let min = typeof s.minimum === 'number' ? s.minimum : (exclusiveMin ?? 0);
  let max = typeof s.maximum === 'number' ? s.maximum : (exclusiveMax ?? min + 10);
  if (integer) {
    min = Math.ceil(exclusiveMin !== undefined && min === exclusiveMin ? min + 1e-9 : min);
    max = Math.floor(exclusiveMax !== undefined && max === exclusiveMax ? max - 1e-9 : max);
    return ctx.random.int(min, Math.max(min, max));
  }
  const value = min + (max - min) * ctx.random.next();
  return value === exclusiveMin ? (min + max) / 2 : value;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) {
    return {};
  }
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node ?? {};
}
