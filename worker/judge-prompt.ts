import { z } from 'zod';

/**
 * Version of the rubric below. It is part of the verdict cache key and of every result's judge metadata:
 * change it whenever the prompt changes, so old verdicts are never mixed with new ones.
 */
export const JUDGE_PROMPT_VERSION = 'judge-v1';

/** Name of the structured output (OpenAI json_schema name, Anthropic tool name) llm-sim recognises. */
export const JUDGE_OUTPUT_NAME = 'judge_verdict';

export const JUDGE_SYSTEM_PROMPT = `You are the user who asked the question below, deciding whether to click thumbs up, thumbs down, or nothing on the answer you got from a support assistant.

Rubric (${JUDGE_PROMPT_VERSION}):
- positive: the answer addresses your actual question correctly and completely enough to act on, is clear, and stays on topic.
- negative: the answer is wrong, evasive, off topic, refuses without need, is missing the key point, makes things up, or repeats personal data back to you.
- none: the answer is acceptable but unremarkable, or you cannot tell whether it is right; most users would not bother to rate it.

Judge only what is written. If the question or answer was shortened (marked "[... N characters omitted ...]"), judge what you can see.
Reply by calling ${JUDGE_OUTPUT_NAME} with your verdict and a one-sentence reason.`;

/** What the judge must return. */
export const JudgeOutputSchema = z.object({
  verdict: z.enum(['positive', 'negative', 'none']),
  reason: z.string().trim().min(1).max(2000),
});
export type JudgeOutput = z.infer<typeof JudgeOutputSchema>;

/** The same shape as JSON Schema, strict-mode compatible (for OpenAI `json_schema` and Anthropic tools). */
export const JUDGE_OUTPUT_JSON_SCHEMA = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: ['positive', 'negative', 'none'] },
    reason: { type: 'string', description: 'one sentence: why this verdict' },
  },
  required: ['verdict', 'reason'],
  additionalProperties: false,
} as const;

/**
 * Shortens `text` to at most `max` characters by cutting out its middle: the start says what the answer
 * is about and the end holds its conclusion (and, on llm-sim, the quality marker the judge reads).
 */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const omitted = (n: number) => `\n[... ${n} characters omitted ...]\n`;
  const room = Math.max(0, max - omitted(text.length).length);
  const head = Math.ceil(room / 2);
  const tail = room - head;
  return `${text.slice(0, head)}${omitted(text.length - room)}${tail > 0 ? text.slice(-tail) : ''}`;
}

/**
 * The user message the judge sees: the question and answer within `maxChars` together. The question gets
 * what it needs up to a quarter of the cap; the answer gets the rest.
 */
export function judgeUserMessage(question: string, answer: string, maxChars: number): string {
  const q = truncateMiddle(question, Math.max(200, Math.min(question.length, Math.floor(maxChars / 4))));
  const a = truncateMiddle(answer, Math.max(200, maxChars - q.length));
  return `Question:\n${q}\n\nAnswer:\n${a}`;
}
