import { readFileSync } from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import { z } from 'zod';
import { dataPath } from './paths.js';

const PriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  aliases: z.array(z.string()).default([]),
});

const PriceTableSchema = z.object({
  checked: z.iso.date(),
  currency: z.literal('USD'),
  models: z.record(z.string(), PriceSchema),
});

export interface ModelPrice {
  /** The price entry's model id (an override's key, or the price database's id for the model). */
  model: string;
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export type Cost = { priced: true; model: string; usd: number } | { priced: false; model: string };

/** Where prices not in the override table come from: a model id's price, or undefined when it has none. */
export type PriceSource = (model: string) => ModelPrice | undefined;

export interface PriceTableOptions {
  /** Prices of models the override table lacks; by default the maintained database ({@link maintainedPrice}). */
  maintained?: PriceSource;
}

/**
 * A model's current list price from `@pydantic/genai-prices`, the maintained price database (its data ships
 * in the package; nothing is fetched). It matches provider ids and their dated snapshots
 * (`claude-opus-5-5-20260922`). Tiered prices give their base tier: the tiers start at prompts of 200,000
 * tokens, far above any request here.
 */
export function maintainedPrice(model: string): ModelPrice | undefined {
  const found = calcPrice({ input_tokens: 1 }, model);
  if (!found) {
    return undefined;
  }
  const perMillion = (value: unknown): number | undefined =>
    typeof value === 'number' ? value : (value as { base?: number } | undefined)?.base;
  const input = perMillion(found.model_price.input_mtok);
  if (input === undefined) {
    // No token price at all (e.g. a free tier): unpriced, never $0.
    return undefined;
  }
  // Embedding models have no output price: they produce no output tokens.
  return { model: found.model.id, input, output: perMillion(found.model_price.output_mtok) ?? 0 };
}

/**
 * Per-million-token prices by model id (case-insensitive): the dated override table (data/pricing.json) first,
 * then the maintained price database. Each model is resolved once and cached, so pricing a job costs a map
 * lookup.
 */
export class PriceTable {
  /** The date the override table was checked. */
  readonly checked: string;
  private readonly overrides = new Map<string, ModelPrice>();
  private readonly resolved = new Map<string, ModelPrice | undefined>();
  private readonly maintained: PriceSource;

  constructor(raw: unknown, options: PriceTableOptions = {}) {
    const table = PriceTableSchema.parse(raw);
    this.checked = table.checked;
    this.maintained = options.maintained ?? maintainedPrice;
    for (const [model, price] of Object.entries(table.models)) {
      const entry = { model, input: price.input, output: price.output };
      for (const name of [model, ...price.aliases]) {
        this.overrides.set(name.toLowerCase(), entry);
      }
    }
  }

  static load(path = dataPath('pricing.json'), options: PriceTableOptions = {}): PriceTable {
    return new PriceTable(JSON.parse(readFileSync(path, 'utf8')), options);
  }

  price(model: string): ModelPrice | undefined {
    const key = model.toLowerCase();
    if (!this.resolved.has(key)) {
      this.resolved.set(key, this.overrides.get(key) ?? this.maintained(model));
    }
    return this.resolved.get(key);
  }

  /** `(input × input price + output × output price) / 1M`; an unknown model is unpriced, never $0. */
  cost(model: string, inputTokens: number, outputTokens: number): Cost {
    const price = this.price(model);
    if (!price) {
      return { priced: false, model };
    }
    return {
      priced: true,
      model,
      usd: (inputTokens * price.input + outputTokens * price.output) / 1_000_000,
    };
  }
}

let defaultTable: PriceTable | undefined;

/** The shipped override table over the maintained prices, read once. */
export function defaultPrices(): PriceTable {
  defaultTable ??= PriceTable.load();
  return defaultTable;
}
