import { z } from 'zod';

/** The model called a tool with arguments that do not fit its schema; the message names the field. */
export class ToolArgumentError extends Error {
  override name = 'ToolArgumentError';
}

/**
 * Validates a tool call's arguments. Models send what they send, so the error message is written to be shown
 * back to the model: tool name, field and what it expects.
 */
export function parseToolArgs<S extends z.ZodType>(tool: string, schema: S, args: unknown): z.infer<S> {
  const result = schema.safeParse(args ?? {});
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`,
  );
  throw new ToolArgumentError(`${tool}: invalid arguments: ${problems.join('; ')}`);
}

/** A `top_k` that accepts what models send ("5", 5.0, 40) and clamps it into `[1, max]`. */
export function topK(defaultValue: number, max: number) {
  return z.coerce
    .number()
    .optional()
    .transform((v) => Math.min(max, Math.max(1, Math.round(v ?? defaultValue))));
}

/** A non-blank query of bounded length. */
export const queryArg = z
  .string()
  .trim()
  .min(1, 'must not be blank')
  .max(2000, 'must be at most 2000 characters');
