import type { LDContext } from '@launchdarkly/node-server-sdk';
import { z } from 'zod';

const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** A LaunchDarkly `user` context: the key is required; any further attribute is passed to targeting. */
export const UserContextSchema = z
  .object({
    key: z.string().min(1, 'must be a non-empty string').max(256),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as US or DE')
      .optional(),
    plan: z.enum(['free', 'paid']).optional(),
    region: z.string().max(64).optional(),
    /** The segment the producer built this user for (informational; targeting decides). */
    segment: z.string().max(64).optional(),
    anonymous: z.boolean().optional(),
  })
  .catchall(attributeValue)
  .superRefine((user, ctx) => {
    // LaunchDarkly reserves these names in a context: a user attribute with one would make it invalid.
    for (const name of ['kind', '_meta']) {
      if (name in user) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is reserved by LaunchDarkly contexts' });
      }
    }
  });
export type UserContext = z.infer<typeof UserContextSchema>;

/**
 * The LaunchDarkly context of a job's user: kind `user`, the user's key and attributes. The agent service
 * evaluates the AI Configs with it and the worker sends the feedback and cost events with it, so both must be
 * the same context; this is the one place that builds it.
 */
export function userContext(user: UserContext): LDContext & { kind: 'user' } {
  return { ...user, kind: 'user' };
}
