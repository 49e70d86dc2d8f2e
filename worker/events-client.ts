import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LDClient } from '@launchdarkly/node-server-sdk';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import type { Logger } from '../shared/logger.js';
import type { WorkerConfig } from './config.js';
import type { EventsClient } from './request-events.js';

/** The worker's LaunchDarkly client, what it means, and how to close it. */
export interface WorkerEvents {
  client: EventsClient;
  /** For the start-up line: where events go. */
  description: string;
  close(): Promise<void>;
}

/**
 * The LaunchDarkly client the worker reports through. Live (`LD_SDK_KEY`): events go to LaunchDarkly.
 * Local with `LD_EVENTS_URI`: the real SDK sends them there (the worker evaluates no flags, so an empty
 * flag file stands in when `LD_FLAGS_FILE` is unset). Local without it: no events are sent, as in every
 * other process; results are still recorded.
 */
export async function createWorkerEvents(config: WorkerConfig, logger: Logger): Promise<WorkerEvents> {
  if (!config.LD_SDK_KEY && !config.LD_EVENTS_URI) {
    return {
      client: { track: () => {}, flush: async (callback) => callback?.(null, true) },
      description: 'not sent (local mode without LD_EVENTS_URI)',
      close: async () => {},
    };
  }
  const client: LDClient = await createLaunchDarklyClient({
    sdkKey: config.LD_SDK_KEY,
    flagsFile: config.LD_SDK_KEY ? undefined : (config.LD_FLAGS_FILE ?? emptyFlagFile()),
    baseUri: config.LD_BASE_URI,
    eventsUri: config.LD_EVENTS_URI,
    logger,
  });
  let closed = false;
  return {
    client,
    description: config.LD_SDK_KEY
      ? `LaunchDarkly (live)${config.LD_EVENTS_URI ? ` via ${config.LD_EVENTS_URI}` : ''}`
      : `local events endpoint ${config.LD_EVENTS_URI}`,
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      await client.flush().catch(() => {});
      client.close();
    },
  };
}

function emptyFlagFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'loadgen-worker-')), 'flags.json');
  writeFileSync(file, JSON.stringify({ flags: {}, segments: {} }));
  return file;
}
