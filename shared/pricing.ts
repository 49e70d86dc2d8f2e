import { readFileSync } from 'node:fs';
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
  model: string;
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

export type Cost = { priced: true; model: string; usd: number } | { priced: false; model: string };

/** Per-million-token prices, looked up by model id or alias (case-insensitive). */
export class PriceTable {
  readonly checked: string;
  private readonly byName = new Map<string, ModelPrice>();

  constructor(raw: unknown) {
    const table = PriceTableSchema.parse(raw);
    this.checked = table.checked;
    for (const [model, price] of Object.entries(table.models)) {
      const entry = { model, input: price.input, output: price.output };
      for (const name of [model, ...price.aliases]) {
        this.byName.set(name.toLowerCase(), entry);
      }
    }
  }

  static load(path = dataPath('pricing.json')): PriceTable {
    return new PriceTable(JSON.parse(readFileSync(path, 'utf8')));
  }

  price(model: string): ModelPrice | undefined {
    return this.byName.get(model.toLowerCase());
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

/** The shipped price table, read once. */
export function defaultPrices(): PriceTable {
  defaultTable ??= PriceTable.load();
  return defaultTable;
}
