import { z } from 'zod';
import { findPii, redactPii, REDACTED } from '../pii.js';
import {
  callModel,
  parseStructured,
  startAgent,
  structuredSchema,
  tracked,
  type AgentDeps,
  type RequestScope,
} from './agent-context.js';
import type { ChatTurn } from './chat-state.js';

const RedactionSchema = z.strictObject({ redacted_text: z.string() });
const REDACTION = { name: 'redaction', schema: structuredSchema(RedactionSchema) };

export interface SecurityResult {
  /** The message as the support agent may see it. */
  message: string;
  history: ChatTurn[];
}

/**
 * The security agent: the model rewrites the message with personal data redacted (structured output), then
 * the deterministic pass runs over its result and every string the deterministic pass found in the original
 * is removed too, so nothing it detects reaches the support model even when the model misses it. History is
 * redacted deterministically. A disabled security config means deterministic redaction only.
 */
export async function runSecurity(
  deps: AgentDeps,
  scope: RequestScope,
  message: string,
  history: ChatTurn[],
): Promise<SecurityResult> {
  const safeHistory = history.map((turn) => ({ ...turn, content: redactPii(turn.content).text }));
  const recorder = await startAgent(deps, scope, 'security');
  if (!recorder.config.enabled) {
    recorder.disabled();
    return { message: redactPii(message).text, history: safeHistory };
  }
  return tracked(recorder, async () => {
    const response = await callModel(deps, scope, recorder, {
      system: recorder.config.instructions,
      messages: [{ role: 'user', content: message }],
      structured: REDACTION,
    });
    const { redacted_text: rewritten } = parseStructured(RedactionSchema, recorder, response.text);
    return { message: enforceRedaction(message, rewritten), history: safeHistory };
  });
}

/** The model's rewrite with what the deterministic pass finds in the original or the rewrite removed. */
export function enforceRedaction(original: string, rewritten: string): string {
  // A blank rewrite would lose the question; fall back to the deterministic redaction of the original.
  let text = rewritten.trim() === '' ? original : rewritten;
  for (const match of findPii(original)) {
    text = text.split(original.slice(match.start, match.end)).join(REDACTED);
  }
  return redactPii(text).text;
}
