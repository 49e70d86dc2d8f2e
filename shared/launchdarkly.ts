import { init, type LDClient, type LDOptions } from '@launchdarkly/node-server-sdk';
import { FileDataSourceFactory } from '@launchdarkly/node-server-sdk/integrations';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';

export interface LaunchDarklySettings {
  /** Live mode: the server-side SDK key. */
  sdkKey?: string | undefined;
  /** Local mode: the flag data file for the SDK's file data source. */
  flagsFile?: string | undefined;
  baseUri?: string | undefined;
  /** Where events go. Local mode without it sends no events. */
  eventsUri?: string | undefined;
  logger?: Logger | undefined;
  /** Seconds to wait for the first flag data. */
  initTimeoutSeconds?: number;
  /** False: send no analytics events at all (a preflight's evaluations must not count as experiment traffic). */
  sendEvents?: boolean;
}

export type LaunchDarklyMode = 'live' | 'local';

/** Events buffered between flushes; the SDK default (10,000) drops events under load. */
export const EVENTS_CAPACITY = 200_000;

const UNUSED_LOCAL_URI = 'http://127.0.0.1:1';

/** Which mode these settings select; neither a key nor a flags file is a start-up error. */
export function launchDarklyMode(settings: LaunchDarklySettings): LaunchDarklyMode {
  if (settings.sdkKey) {
    return 'live';
  }
  if (settings.flagsFile) {
    return 'local';
  }
  throw new ConfigError('LaunchDarkly: set LD_SDK_KEY (live) or LD_FLAGS_FILE (local file data source)');
}

/**
 * A started LaunchDarkly client. Live: streaming from LaunchDarkly with the SDK key. Local: the real SDK
 * evaluating a flag file through its file data source (not `offline`, which would ignore the file), events
 * sent to `eventsUri` when given. Resolves once flag data is loaded.
 */
export async function createLaunchDarklyClient(settings: LaunchDarklySettings): Promise<LDClient> {
  const mode = launchDarklyMode(settings);
  const options: LDOptions = {
    capacity: EVENTS_CAPACITY,
    flushInterval: 2,
    logger: settings.logger ? ldLogger(settings.logger) : undefined,
  };
  if (mode === 'live') {
    if (settings.baseUri || settings.eventsUri) {
      options.baseUri = settings.baseUri;
      options.streamUri = settings.baseUri;
      options.eventsUri = settings.eventsUri;
    }
  } else {
    const files = new FileDataSourceFactory({ paths: [settings.flagsFile as string], autoUpdate: false });
    options.updateProcessor = files.getFactory();
    // The SDK wants the three URIs set together; polling and streaming are unused with a file source.
    options.baseUri = settings.baseUri ?? UNUSED_LOCAL_URI;
    options.streamUri = settings.baseUri ?? UNUSED_LOCAL_URI;
    options.eventsUri = settings.eventsUri ?? UNUSED_LOCAL_URI;
    options.sendEvents = settings.eventsUri !== undefined;
    options.diagnosticOptOut = true;
  }
  if (settings.sendEvents === false) {
    options.sendEvents = false;
    options.diagnosticOptOut = true;
  }
  const client = init(settings.sdkKey ?? 'local-file-data-source', options);
  try {
    await client.waitForInitialization({ timeout: settings.initTimeoutSeconds ?? 10 });
  } catch (err) {
    client.close();
    throw new Error(`LaunchDarkly did not initialise (${mode} mode): ${(err as Error).message}`, {
      cause: err,
    });
  }
  return client;
}

function ldLogger(logger: Logger) {
  const child = logger.child({ component: 'launchdarkly' });
  return {
    error: (...args: unknown[]) => child.error(args.map(String).join(' ')),
    warn: (...args: unknown[]) => child.warn(args.map(String).join(' ')),
    info: (...args: unknown[]) => child.debug(args.map(String).join(' ')),
    debug: (...args: unknown[]) => child.trace(args.map(String).join(' ')),
  };
}
