import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LDClient } from '@launchdarkly/node-server-sdk';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import { redactUrl, type Logger } from '../shared/logger.js';
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
  if (!config.ldSdkKey && !config.ldEventsUri) {
    return {
      client: { track: () => {}, flush: async (callback) => callback?.(null, true) },
      description: 'not sent (local mode without LD_EVENTS_URI)',
      close: async () => {},
    };
  }
  // The empty flag file's folder is ours to remove, on close or if the client cannot start.
  const tempDir =
    !config.ldSdkKey && !config.ldFlagsFile ? mkdtempSync(join(tmpdir(), 'loadgen-worker-')) : undefined;
  const removeTempDir = () => {
    if (tempDir) {
      rmSync(tempDir, { recursive: true, force: true });
    }
  };
  let client: LDClient;
  try {
    client = await createLaunchDarklyClient({
      sdkKey: config.ldSdkKey,
      flagsFile: config.ldSdkKey ? undefined : tempDir ? emptyFlagFile(tempDir) : config.ldFlagsFile,
      baseUri: config.ldBaseUri,
      eventsUri: config.ldEventsUri,
      logger,
    });
  } catch (err) {
    removeTempDir();
    throw err;
  }
  let closed = false;
  return {
    client,
    description: config.ldSdkKey
      ? `LaunchDarkly (live)${config.ldEventsUri ? ` via ${redactUrl(config.ldEventsUri)}` : ''}`
      : `local events endpoint ${redactUrl(config.ldEventsUri as string)}`,
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      try {
        await client.flush().catch(() => {});
        client.close();
      } finally {
        removeTempDir();
      }
    },
  };
}

function emptyFlagFile(dir: string): string {
  const file = join(dir, 'flags.json');
  writeFileSync(file, JSON.stringify({ flags: {}, segments: {} }));
  return file;
}
