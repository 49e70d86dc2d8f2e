import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LDClient } from '@launchdarkly/node-server-sdk';
import { initAi } from '@launchdarkly/server-sdk-ai';
import { llmSettingsFrom } from '../shared/config.js';
import { writeFlagFile } from '../shared/flag-file.js';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import {
  assertProviderAvailable,
  llmMode,
  normalizeProvider,
  type LlmSettings,
} from '../shared/llm/index.js';
import { createLogger, redactUrl, type Logger } from '../shared/logger.js';
import { loadManifest, type Manifest } from '../shared/manifest.js';
import { defaultPrices } from '../shared/pricing.js';
import { createApp, type ReadinessCheck } from './app.js';
import type { AgentServiceConfig } from './config.js';
import { ProviderModelCaller } from '../shared/llm/index.js';
import { ServiceMetrics } from './metrics.js';
import { simReadiness } from './sim-readiness.js';
import { loadAgentTools } from './agent-tools.js';
import { listenHttp } from '../shared/http-server.js';
import { ResourceStack } from '../shared/shutdown.js';
import { startTelemetry } from '../shared/telemetry.js';

export { loadConfig, type AgentServiceConfig } from './config.js';

export interface AgentServiceOptions {
  /**
   * The configuration, parsed once at start by the caller: `loadConfig(process.env)` (`loadgen agent-service`)
   * reads LLM_SIM_URL, provider keys, LD_*, REDIS_URL, REDIS_PREFIX, KB_*, MCP_* and AGENT_*.
   */
  config: AgentServiceConfig;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  logger?: Logger;
}

export interface AgentService {
  /** Base URL, e.g. http://127.0.0.1:PORT (POST `${url}/chat`). */
  url: string;
  /**
   * Stops taking connections, lets requests in flight finish (up to AGENT_SHUTDOWN_GRACE_MS), then flushes
   * and closes LaunchDarkly and the tools; safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts the agent service in this process with its parsed config: starts the LaunchDarkly client
 * (live with LD_SDK_KEY; else the file data source, generated from the manifest into a temp file when
 * LD_FLAGS_FILE is unset), loads the tools, and serves the Hono app. A provider that some AI Config
 * variation needs but that has neither a key nor LLM_SIM_URL is a start-up error naming both.
 */
export async function startAgentService(options: AgentServiceOptions): Promise<AgentService> {
  const config = options.config;
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'agent-service' });
  const manifest = loadManifest();
  const llm: LlmSettings = { ...llmSettingsFrom(config), timeoutMs: config.agentRequestDeadlineMs };
  assertProvidersAvailable(manifest, llm);

  const resources = new ResourceStack({ logger, label: 'agent-service' });
  try {
    // Opened first, closed last: spans of the requests that finish while the server drains are still exported.
    const telemetry = await resources.use(
      'telemetry',
      () => startTelemetry({ serviceName: 'loadgen-agent-service', env: config }),
      (t) => t.close(),
    );
    const flagsFile = config.ldSdkKey
      ? undefined
      : (config.ldFlagsFile ?? generatedFlagFile(manifest, resources));
    const ldClient = await createLaunchDarklyClient({
      sdkKey: config.ldSdkKey,
      flagsFile,
      baseUri: config.ldBaseUri,
      eventsUri: config.ldEventsUri,
      logger,
    });
    resources.defer('launchdarkly', async () => {
      await ldClient.flush();
      ldClient.close();
    });
    const tools = await loadAgentTools(config, llm, logger);
    resources.defer('tools', () => tools.close());

    const models = new ProviderModelCaller(llm);
    const app = createApp({
      ai: initAi(ldClient),
      models,
      tools,
      prices: defaultPrices(),
      variables: manifest.variables,
      defaultMaxToolCalls: config.agentDefaultMaxToolCalls,
      retryAfterSeconds: config.agentRetryAfterSeconds,
      stream: config.agentStream,
      logger,
      maxMessageChars: config.agentMaxMessageChars,
      maxBodyBytes: config.agentMaxBodyBytes,
      deadlineMs: config.agentRequestDeadlineMs,
      readiness: () => readiness(ldClient, config, llm),
      metrics: new ServiceMetrics({ defaultMetrics: true }),
      tracing: telemetry.enabled,
    });

    const server = await listenHttp(app.fetch, options.port ?? 0, options.host ?? '127.0.0.1');
    resources.defer('http server', () => server.close(config.agentShutdownGraceMs));
    const url = server.url;
    logger.info(
      {
        url,
        launchDarkly: config.ldSdkKey ? 'live' : `local (${flagsFile})`,
        events: config.ldEventsUri
          ? redactUrl(config.ldEventsUri)
          : config.ldSdkKey
            ? 'LaunchDarkly'
            : 'not sent',
        llm: llmMode(llm) === 'simulated' ? `simulated (${redactUrl(config.llmSimUrl as string)})` : 'live',
        tools: [...tools.keys()],
        tracing: telemetry.enabled,
      },
      'agent-service listening',
    );
    return { url, close: () => resources.close() };
  } catch (err) {
    await resources.close();
    throw err;
  }
}

/** Every provider some variation of the manifest serves must be keyed or simulated. */
function assertProvidersAvailable(manifest: Manifest, llm: LlmSettings): void {
  for (const [configKey, config] of Object.entries(manifest.configs)) {
    for (const [variationKey, variation] of Object.entries(config.variations)) {
      assertProviderAvailable(
        llm,
        normalizeProvider(variation.provider),
        `AI Config ${configKey} variation ${variationKey} (${variation.provider} ${variation.model.name})`,
      );
    }
  }
}

/** Local mode without LD_FLAGS_FILE: the flag file from the manifest, in a temp folder removed on close. */
function generatedFlagFile(manifest: Manifest, resources: ResourceStack): string {
  const dir = mkdtempSync(join(tmpdir(), 'loadgen-flags-'));
  resources.defer('flag file', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'flags.json');
  writeFlagFile(manifest, path);
  return path;
}

async function readiness(
  ldClient: LDClient,
  config: AgentServiceConfig,
  llm: LlmSettings,
): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [
    {
      name: 'launchdarkly',
      ok: ldClient.initialized(),
      detail: ldClient.initialized() ? 'initialised' : 'not initialised',
    },
  ];
  if (llm.simUrl) {
    checks.push(await simReadiness(llm.simUrl));
  } else {
    // Live providers are not called just to check (it costs): start-up verified a key for each one served.
    const keyed = [
      ['openai', config.openaiApiKey],
      ['anthropic', config.anthropicApiKey],
      ['mistral', config.mistralApiKey],
    ].flatMap(([name, key]) => (key ? [name] : []));
    checks.push({ name: 'providers', ok: true, detail: `live, keyed: ${keyed.join(', ')}` });
  }
  return checks;
}
