import type { ModelResponse } from './model-types.js';

export type StructuredOutput = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * The JSON of a structured-output answer (`ModelRequest.structured`), or what is wrong with it: no output (an
 * empty OpenAI message, or no call of Anthropic's forced tool) or text that is not JSON. Checking it against
 * the schema is the caller's.
 */
export function structuredOutput(response: ModelResponse, name: string): StructuredOutput {
  const text = response.text;
  if (!text) {
    return { ok: false, problem: `no ${name} output` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: `not JSON: ${text.slice(0, 80)}` };
  }
}
