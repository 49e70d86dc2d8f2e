import type { LDContext } from '@launchdarkly/node-server-sdk';
import type { UserContext } from './jobs.js';

/**
 * The LaunchDarkly context of a job's user: kind `user`, the user's key and attributes. The agent service
 * evaluates the AI Configs with it and the worker sends the feedback and cost events with it, so both must be
 * the same context; this is the one place that builds it.
 */
export function userContext(user: UserContext): LDContext & { kind: 'user' } {
  return { ...user, kind: 'user' };
}
