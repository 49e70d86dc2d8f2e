import type { Random } from '../shared/random.js';
import { sample } from './distribution.js';
import { containsPii, redact, redactOptionsFor } from './pii.js';
import type { ModelProfile, SimProfile } from './profile.js';
import { valueFor } from './schema-values.js';
import { countTokens, keywords, lastMarker, prose, qualityMarker, stripMarkers } from './text.js';

/** The name of the structured output (OpenAI) or forced tool (Anthropic) that makes a request a judge request. */
export const JUDGE_NAME = 'judge_verdict';

export type Verdict = 'positive' | 'negative' | 'none';

/** A chat request with the provider's wire format taken away. */
export interface SimRequest {
  model: string;
  /** System prompt(s), joined. */
  system: string;
  /** Text of each user message (tool results excluded), in order. */
  userTexts: string[];
  /** Text of every message (system, user, assistant, tool results), for finding quality markers. */
  allText: string;
  /** Tool results of the last turn, when the last message is one. */
  lastToolResults: string[] | undefined;
  tools: { name: string; parameters: unknown }[];
  /** `auto` lets the model choose; `required` forces some tool; `{ name }` forces that one. */
  toolChoice: 'auto' | 'none' | 'required' | { name: string };
  /** Structured output asked for: `schema` undefined means plain JSON (json_object). */
  structured: { name: string | undefined; schema: unknown } | undefined;
  maxTokens: number | undefined;
  /** Characters of the prompt (messages, system, tool definitions) for input-token billing. */
  promptChars: number;
}

export type SimOutput =
  | { kind: 'text'; text: string }
  | { kind: 'json'; text: string }
  | { kind: 'tool_calls'; calls: { id: string; name: string; input: Record<string, unknown> }[] };

export interface SimResult {
  output: SimOutput;
  inputTokens: number;
  outputTokens: number;
  /** Whether `max_tokens` cut a prose answer short. */
  truncated: boolean;
  ttftMs: number;
  perTokenMs: number;
  verdict: Verdict | undefined;
}

/** Answers one request the way the model's profile says. Every random choice comes from `random`. */
export function simulate(
  request: SimRequest,
  model: ModelProfile,
  profile: SimProfile,
  random: Random,
): SimResult {
  const lastUser = request.userTexts.at(-1) ?? '';
  const keys = keywords(stripMarkers(lastUser));
  const ttftMs = sample(model.latency.ttftMs, random);
  const perTokenMs = sample(model.latency.perTokenMs, random);
  const inputTokens = Math.max(1, Math.ceil(request.promptChars / 4));
  let verdict: Verdict | undefined;

  const specialsFor = (name: string | undefined): Record<string, unknown> => {
    if (name === JUDGE_NAME) {
      verdict = drawVerdict(request, profile, random);
      return { verdict, reason: reasonFor(verdict, keys) };
    }
    return {
      contains_pii: containsPii(lastUser),
      redacted_text: redact(lastUser, redactOptionsFor(request.system)),
      query: keys.join(' ') || lastUser.slice(0, 100),
    };
  };
  const finish = (output: SimOutput, outputTokens: number, truncated = false): SimResult => ({
    output,
    inputTokens,
    outputTokens,
    truncated,
    ttftMs,
    perTokenMs,
    verdict,
  });

  const forced = forcedTool(request);
  const mayCall =
    request.tools.length > 0 && request.toolChoice !== 'none' && request.lastToolResults === undefined;
  if (forced || (mayCall && !request.structured && random.bool(model.toolCallRate))) {
    const tool = forced ?? random.pick(request.tools);
    const input = valueFor(tool.parameters ?? { type: 'object', properties: {} }, {
      random,
      keywords: keys,
      special: specialsFor(tool.name),
    });
    const args = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
    const id = `call_${random.int(0, 0x7fffffff).toString(36)}${random.int(0, 0x7fffffff).toString(36)}`;
    return finish(
      { kind: 'tool_calls', calls: [{ id, name: tool.name, input: args }] },
      countTokens(JSON.stringify(args)) + 8,
    );
  }

  if (request.structured) {
    const { name, schema } = request.structured;
    const special = specialsFor(name);
    const value =
      schema === undefined
        ? name === JUDGE_NAME
          ? special
          : { answer: keys.join(' '), contains_pii: special.contains_pii }
        : valueFor(schema, { random, keywords: keys, special });
    const text = JSON.stringify(value);
    return finish({ kind: 'json', text }, countTokens(text));
  }

  const wanted = Math.max(1, Math.round(sample(model.outputTokens, random)));
  const outputTokens = request.maxTokens !== undefined ? Math.min(wanted, request.maxTokens) : wanted;
  const quality = answerQuality(request, model, profile);
  const citations = request.lastToolResults ? citationsIn(request.lastToolResults) : [];
  const text = prose(
    random,
    outputTokens,
    keys,
    citations,
    qualityMarker(quality.positive, quality.negative),
  );
  return finish({ kind: 'text', text }, outputTokens, outputTokens < wanted);
}

function forcedTool(request: SimRequest): { name: string; parameters: unknown } | undefined {
  const choice = request.toolChoice;
  if (typeof choice === 'object') {
    return request.tools.find((t) => t.name === choice.name) ?? { name: choice.name, parameters: undefined };
  }
  if (choice === 'required' && request.tools.length > 0) {
    return request.tools[0];
  }
  return undefined;
}

/** The model's quality minus the redaction penalty, moved from positive to negative. */
export function answerQuality(
  request: Pick<SimRequest, 'userTexts'>,
  model: ModelProfile,
  profile: SimProfile,
): { positive: number; negative: number } {
  const redactions = request.userTexts.reduce((n, t) => n + (t.match(/\[REDACTED/g)?.length ?? 0), 0);
  const penalty = Math.min(redactions * profile.redactionPenalty, profile.maxRedactionPenalty);
  const positive = Math.max(0, model.quality.positive - penalty);
  return { positive, negative: model.quality.negative + (model.quality.positive - positive) };
}

function drawVerdict(request: SimRequest, profile: SimProfile, random: Random): Verdict {
  const rates = lastMarker(request.allText) ?? profile.unknownAnswer;
  const r = random.next();
  return r < rates.positive ? 'positive' : r < rates.positive + rates.negative ? 'negative' : 'none';
}

function reasonFor(verdict: Verdict, keys: readonly string[]): string {
  const topic = keys.slice(0, 3).join(', ') || 'the question';
  switch (verdict) {
    case 'positive':
      return `The answer addressed ${topic} clearly and was useful.`;
    case 'negative':
      return `The answer did not really help with ${topic}.`;
    case 'none':
      return `The answer about ${topic} was acceptable; not worth rating.`;
  }
}

/** Ids like `[chunk:abc]` or `chunk_12` that tool results mention, for the answer to cite. */
function citationsIn(results: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const text of results) {
    for (const m of text.matchAll(/\[([a-z][\w-]*:[^\]\s]{1,80})\]|\b(chunk[:_][\w.:-]{1,60})/gi)) {
      const id = m[1] ?? m[2];
      if (id && !id.startsWith('sim:')) {
        ids.add(id);
      }
      if (ids.size >= 3) {
        break;
      }
    }
  }
  return [...ids].map((id) => `[${id}]`);
}
