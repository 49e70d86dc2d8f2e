import { describe, expect, it } from 'vitest';
import { defaultPrices, maintainedPrice, PriceTable } from './pricing.js';

describe('pricing', () => {
  const prices = defaultPrices();

  it('costs 1,000 input + 500 output tokens on GPT-4o at $0.0075', () => {
    const cost = prices.cost('gpt-4o', 1000, 500);
    expect(cost.priced).toBe(true);
    expect(cost.priced && cost.usd).toBeCloseTo(0.0075, 10);
  });

  // From the maintained database (@pydantic/genai-prices), dated snapshots included.
  it.each([
    ['gpt-4o', 2.5, 10],
    ['gpt-4o-2024-08-06', 2.5, 10],
    ['gpt-4o-mini', 0.15, 0.6],
    ['claude-opus-5-5', 4, 20],
    ['claude-opus-5-5-20260922', 4, 20],
    ['claude-sonnet-5', 2, 10],
    ['claude-haiku-4-5', 1, 5],
    ['mistral-small-latest', 0.1, 0.3],
    ['mistral-large-latest', 2, 6],
  ])('prices %s at $%d / $%d per million', (model, input, output) => {
    expect(prices.price(model)).toMatchObject({ input, output });
  });

  it('takes what the maintained database lacks from the dated override table (embeddings)', () => {
    expect(maintainedPrice('text-embedding-3-small')).toBeUndefined();
    expect(prices.price('text-embedding-3-small')).toEqual({
      model: 'text-embedding-3-small',
      input: 0.02,
      output: 0,
    });
  });

  it('lets an override win over the maintained price, by id or alias', () => {
    const table = new PriceTable({
      checked: '2026-12-04',
      currency: 'USD',
      models: { 'gpt-4o': { input: 1, output: 2, aliases: ['my-gpt'] } },
    });
    expect(table.price('GPT-4o')).toMatchObject({ input: 1, output: 2 });
    expect(table.price('my-gpt')).toMatchObject({ input: 1, output: 2 });
    expect(table.price('gpt-4o-mini')).toMatchObject({ input: 0.15, output: 0.6 });
  });

  it('resolves each model once and then answers from its cache', () => {
    const asked: string[] = [];
    const table = new PriceTable(
      { checked: '2026-12-04', currency: 'USD', models: {} },
      {
        maintained: (model) => {
          asked.push(model);
          return model === 'known' ? { model, input: 1, output: 1 } : undefined;
        },
      },
    );
    for (let i = 0; i < 3; i++) {
      table.cost('known', 10, 10);
      table.cost('unknown', 10, 10);
    }
    expect(asked).toEqual(['known', 'unknown']);
  });

  it('reports an unknown model as unpriced, never $0', () => {
    expect(prices.cost('gpt-9-ultra', 1000, 1000)).toEqual({ priced: false, model: 'gpt-9-ultra' });
  });

  it('carries the date the override table was checked', () => {
    expect(prices.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('rejects a malformed price file', () => {
    expect(() => new PriceTable({ checked: 'yesterday', currency: 'USD', models: {} })).toThrow();
  });
});
