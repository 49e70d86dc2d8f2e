import { z } from 'zod';
import type { ChatTurn } from './chat-state.js';
import { findPii } from '../pii.js';
import {
  callModel,
  parseStructured,
  startAgent,
  structuredSchema,
  tracked,
  type AgentDeps,
  type RequestScope,
} from './agent-context.js';

const PrescreenSchema = z.strictObject({
  contains_pii: z.boolean(),
  reason: z.string(),
});
const PRESCREEN = { name: 'pii_prescreen', schema: structuredSchema(PrescreenSchema) };

export interface SupervisorDecision {
  /** Route to the security agent. */
  containsPii: boolean;
}

/**
 * The supervisor: a deterministic PII pass over the message and history, plus the supervisor model's
 * structured prescreen `{contains_pii, reason}`. Either finding PII routes to security. A disabled
 * supervisor config leaves the deterministic pass alone to decide.
 */
export async function runSupervisor(
  deps: AgentDeps,
  scope: RequestScope,
  message: string,
  history: ChatTurn[],
): Promise<SupervisorDecision> {
  const detected = [message, ...history.map((t) => t.content)].some((t) => findPii(t).length > 0);
  const recorder = await startAgent(deps, scope, 'supervisor');
  if (!recorder.config.enabled) {
    recorder.disabled();
    return { containsPii: detected };
  }
  return tracked(recorder, async () => {
    const response = await callModel(deps, scope, recorder, {
      system: recorder.config.instructions,
      messages: [{ role: 'user', content: message }],
      structured: PRESCREEN,
    });
    // The model's `reason` is asked for (it helps the prescreen) but not kept: it may quote the personal data.
    const prescreen = parseStructured(PrescreenSchema, recorder, response.text);
    return { containsPii: detected || prescreen.contains_pii };
  });
}
