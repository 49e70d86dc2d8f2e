import type { WorkerOptions } from 'bullmq';

/** The BullMQ settings that decide when a job whose worker died is handed to another worker. */
export type StallSettings = Required<
  Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>
>;

/**
 * The one set of stall settings every worker uses. BullMQ keeps the stalled-check throttle in a key shared
 * by all workers of a queue, so workers with different settings would take turns overriding each other.
 * A SIGKILLed worker's lock expires within `lockDuration` and the next check (every `stalledInterval`)
 * moves its jobs back to wait: they resume elsewhere within about 30 s. A job may stall three times
 * (each re-run skips the steps its checkpoint says are done, so a re-run costs nothing twice).
 */
export const STALL_SETTINGS: StallSettings = {
  lockDuration: 20_000,
  stalledInterval: 10_000,
  maxStalledCount: 3,
};
