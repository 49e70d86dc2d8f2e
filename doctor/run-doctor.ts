import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initAi } from '@launchdarkly/server-sdk-ai';
import { TOOL_NAMES, toolNamesOf } from '../shared/tool-definitions.js';
import { loadConfig as loadLdConfig, LaunchDarklyRestClient } from '../ld/index.js';
import { loadMetrics } from '../shared/catalog.js';
import { startLlmSim } from '../llm-sim/index.js';
import { llmSettingsFrom, type Env } from '../shared/config.js';
import { writeFlagFile } from '../shared/flag-file.js';
import type { UserContext } from '../shared/user-context.js';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import { llmMode, type LlmSettings } from '../shared/llm/index.js';
import { redactUrl } from '../shared/logger.js';
import { loadManifest } from '../shared/manifest.js';
import { dataPath } from '../shared/paths.js';
import { defaultPrices, type PriceTable } from '../shared/pricing.js';
import { loadExperiments } from '../readout/index.js';
import { createRedis } from '../shared/redis.js';
import { fail, ok, type CheckLine } from './check-line.js';
import {
  aiConfigLines,
  checkRedis,
  modelLines,
  priceLines,
  providerKeyLines,
  sdkModelLookup,
  servedModels,
} from './checks.js';
import { loadConfig } from './config.js';
import { eventsLine, restLines } from './launchdarkly-checks.js';
import { servableVariations, type EvaluatedConfig, type ServedVariation } from './servable.js';

/** How long one model lookup may take. */
const MODEL_LOOKUP_TIMEOUT_MS = 15_000;

export interface DoctorOptions {
  env: Env;
  /** The AI Config manifest (default: data/manifest.yaml). */
  manifestPath?: string | undefined;
  /** LaunchDarkly project and environment for the REST checks (default: LD_PROJECT, LD_ENVIRONMENT). */
  project?: string | undefined;
  environment?: string | undefined;
  /** The price table (default: data/pricing.json). */
  prices?: PriceTable;
}

export interface DoctorReport {
  lines: CheckLine[];
  ok: boolean;
  /** LLM mode the checks ran in. */
  mode: 'simulated' | 'live';
  /** Per servable variation, the sample user LaunchDarkly serves it to (when one was found). */
  served: ServedVariation[];
}

/**
 * The preflight: Redis (reachable, noeviction), the mode, LaunchDarkly (SDK starts; every variation a segment
 * can be served is served to a sample user, enabled, with tools the agent service knows), each served
 * provider's key and model id, prices, the events endpoint and, with LD_API_TOKEN and a project, the
 * project's metrics and running experiments. Without LLM_SIM_URL and provider keys it starts llm-sim in this
 * process for the duration, as `loadgen start` would. Never throws for a failed check: each is a line.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const config = loadConfig(options.env);
  const ldApi = loadLdConfig(options.env);
  const manifest = loadManifest(options.manifestPath ?? dataPath('manifest.yaml'));
  const prices = options.prices ?? defaultPrices();
  const cleanups: (() => Promise<void> | void)[] = [];
  const lines: CheckLine[] = [];
  const served = servableVariations(manifest);
  let found: DoctorReport['served'] = served.map((variation) => ({ variation }));
  try {
    let llm: LlmSettings = llmSettingsFrom(config);
    const keyed = Boolean(llm.openaiApiKey || llm.anthropicApiKey || llm.mistralApiKey);
    if (llm.simUrl) {
      lines.push(ok('mode', 'LLMs', `SIMULATED by ${redactUrl(llm.simUrl)} (LLM_SIM_URL)`));
    } else if (keyed) {
      lines.push(ok('mode', 'LLMs', 'LIVE (provider keys are set, LLM_SIM_URL is not)'));
    } else {
      const sim = await startLlmSim();
      cleanups.push(() => sim.close());
      llm = { ...llm, simUrl: sim.url };
      lines.push(
        ok('mode', 'LLMs', 'SIMULATED (no keys, no LLM_SIM_URL: checked against llm-sim started here)'),
      );
    }

    lines.push(await redisLine(config.redisUrl, config.redisPrefix));

    const flagsFile = config.ldSdkKey ? undefined : (config.ldFlagsFile ?? tempFlagFile(manifest, cleanups));
    lines.push(
      ok(
        'mode',
        'LaunchDarkly',
        config.ldSdkKey
          ? 'LIVE (LD_SDK_KEY)'
          : config.ldFlagsFile
            ? `local flag file ${config.ldFlagsFile} (LD_FLAGS_FILE)`
            : 'local flag file generated from the manifest',
      ),
    );
    try {
      const ldClient = await createLaunchDarklyClient({
        sdkKey: config.ldSdkKey,
        flagsFile,
        baseUri: config.ldBaseUri,
        sendEvents: false,
      });
      cleanups.push(() => ldClient.close());
      lines.push(ok('launchdarkly', 'SDK', 'initialised'));
      const ai = initAi(ldClient);
      const evaluate = async (configKey: string, user: UserContext): Promise<EvaluatedConfig> => {
        const c = await ai.agentConfig(
          configKey,
          { ...user, kind: 'user' },
          { enabled: false },
          manifest.variables,
        );
        // An entry that is neither a name nor a tool object shows as itself, so the unknown-tools check names it.
        const tools = toolNamesOf(c.model?.parameters?.tools);
        return {
          enabled: c.enabled,
          variationKey: c.tracker?.getTrackData().variationKey ?? '',
          provider: c.provider?.name,
          model: c.model?.name,
          tools: [...tools.names, ...tools.invalid.map((entry) => JSON.stringify(entry))],
        };
      };
      const checked = await aiConfigLines(manifest, served, evaluate, TOOL_NAMES);
      lines.push(...checked.lines);
      found = checked.found;
    } catch (err) {
      lines.push(
        fail(
          'launchdarkly',
          'SDK',
          (err as Error).message,
          config.ldSdkKey
            ? 'check LD_SDK_KEY (a server-side SDK key) and LD_BASE_URI'
            : 'check LD_FLAGS_FILE',
        ),
      );
    }

    const models = servedModels(found);
    lines.push(...providerKeyLines(models, llm));
    // A provider that does not answer within this must not hold the preflight for the SDK's two minutes.
    const lookup = sdkModelLookup({ ...llm, timeoutMs: MODEL_LOOKUP_TIMEOUT_MS });
    lines.push(...(await modelLines(models, llm, lookup)));
    lines.push(...priceLines(models, prices));
    lines.push(await eventsLine(config.ldEventsUri, config.ldSdkKey));

    const project = options.project ?? config.ldProject;
    const environment = options.environment ?? config.ldEnvironment;
    if (!ldApi.ldApiToken) {
      lines.push(ok('ld-api', 'skipped', 'no LD_API_TOKEN: project, metrics and experiments not checked'));
    } else if (!project) {
      lines.push(
        fail(
          'ld-api',
          'project',
          'LD_API_TOKEN is set but no project is named',
          'set LD_PROJECT or pass --project',
        ),
      );
    } else {
      const api = new LaunchDarklyRestClient({
        baseUrl: ldApi.ldApiUrl,
        token: ldApi.ldApiToken as string,
        timeoutMs: ldApi.ldApiTimeoutMs,
        maxRetries: 2,
      });
      try {
        lines.push(
          ...(await restLines(api, {
            project,
            environment,
            metricKeys: loadMetrics().map((m) => m.key),
            experiments: loadExperiments(),
          })),
        );
      } catch (err) {
        lines.push(
          fail('ld-api', ldApi.ldApiUrl, (err as Error).message, 'check LD_API_TOKEN and LD_API_URL'),
        );
      }
    }
    return { lines, ok: lines.every((l) => l.ok), mode: llmMode(llm), served: found };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup();
    }
  }
}

async function redisLine(url: string, prefix: string): Promise<CheckLine> {
  const redis = createRedis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 3000,
    connectionName: `${prefix}:doctor`,
  });
  try {
    return await checkRedis(
      { info: async (section) => (await redis.connect(), redis.info(section)) },
      redactUrl(url),
    );
  } finally {
    redis.disconnect();
  }
}

function tempFlagFile(manifest: Parameters<typeof writeFlagFile>[0], cleanups: (() => void)[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'loadgen-doctor-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'flags.json');
  writeFlagFile(manifest, path);
  return path;
}
