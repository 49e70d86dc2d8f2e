import { describe, expect, it } from 'vitest';
import { defaultPrices, PriceTable } from './pricing.js';

describe('pricing', () => {
  const prices = defaultPrices();

  it('costs 1,000 input + 500 output tokens on GPT-4o at $0.0075', () => {
    const cost = prices.cost('gpt-4o', 1000, 500);
    expect(cost.priced).toBe(true);
    expect(cost.priced && cost.usd).toBeCloseTo(0.0075, 10);
  });

  it.each([
    ['gpt-4o', 2.5, 10],
    ['gpt-4o-mini', 0.15, 0.6],
    ['claude-opus-4-20250514', 15, 75],
    ['claude-sonnet-4', 3, 15],
    ['claude-3-5-haiku-latest', 0.8, 4],
    ['mistral-small-latest', 0.1, 0.3],
    ['mistral-large-latest', 2, 6],
  ])('prices %s at $%d / $%d per million', (model, input, output) => {
    expect(prices.price(model)).toMatchObject({ input, output });
  });

  it('reports an unknown model as unpriced, never $0', () => {
    expect(prices.cost('gpt-9-ultra', 1000, 1000)).toEqual({ priced: false, model: 'gpt-9-ultra' });
  });

  it('carries the date the prices were checked', () => {
    expect(prices.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('rejects a malformed price file', () => {
    expect(() => new PriceTable({ checked: 'yesterday', currency: 'USD', models: {} })).toThrow();
  });
});
