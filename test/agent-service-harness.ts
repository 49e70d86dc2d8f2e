import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LDClient } from '@launchdarkly/node-server-sdk';
import { initAi } from '@launchdarkly/server-sdk-ai';
import { createApp, type AppDeps } from '../agent-service/app.js';
import { ProviderModelCaller } from '../shared/llm/index.js';
import { createKbTools } from '../agent-service/tools/create-kb-tools.js';
import { buildFlagData, type FlagDataOptions, type FlagFileData } from '../shared/flag-file.js';
import { loadKnowledgeBase, type KnowledgeBase } from '../shared/kb/loader.js';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { loadManifest, type Manifest } from '../shared/manifest.js';
import { packageRoot } from '../shared/paths.js';
import { defaultPrices } from '../shared/pricing.js';
import { startLlmSim, type LlmSim, type ProfileOverrides } from '../llm-sim/index.js';
import { EventsEndpoint } from './helpers/events-endpoint.js';

export interface HarnessOptions {
  /** Changes to a copy of the shipped manifest before the flag file is written. */
  manifest?: (manifest: Manifest) => void;
  flags?: FlagDataOptions;
  /** Changes to the generated flag data before it is written (to serve what the manifest cannot say). */
  flagData?: (data: FlagFileData) => void;
  sim?: ProfileOverrides;
  seed?: number;
  deadlineMs?: number;
  stream?: boolean;
  maxMessageChars?: number;
  /** The service's logger; silent by default. */
  logger?: Logger;
}

let kbPromise: Promise<KnowledgeBase> | undefined;

/** The sample knowledge base, loaded once per test file. */
export function sampleKb(): Promise<KnowledgeBase> {
  kbPromise ??= loadKnowledgeBase(join(packageRoot, 'kb'));
  return kbPromise;
}

/**
 * The agent service's app wired with real parts: llm-sim (zero latency unless told otherwise), the real
 * LaunchDarkly SDK on a flag file generated from the manifest, events to a local endpoint, the real tools
 * over the sample knowledge base. Drive it with `harness.chat(body)` (`app.request()`).
 */
export class AgentHarness {
  private constructor(
    readonly app: ReturnType<typeof createApp>,
    readonly sim: LlmSim,
    readonly events: EventsEndpoint,
    readonly ldClient: LDClient,
    private readonly dir: string,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<AgentHarness> {
    const manifest = structuredClone(loadManifest());
    options.manifest?.(manifest);
    const dir = mkdtempSync(join(tmpdir(), 'agent-harness-'));
    const flagsFile = join(dir, 'flags.json');
    const flagData = buildFlagData(manifest, options.flags);
    options.flagData?.(flagData);
    writeFileSync(flagsFile, JSON.stringify(flagData));
    const sim = await startLlmSim({
      seed: options.seed ?? 7,
      overrides: {
        ...options.sim,
        allModels: { latency: { ttftMs: 0, perTokenMs: 0 }, ...options.sim?.allModels },
      },
    });
    const events = await EventsEndpoint.start();
    const ldClient = await createLaunchDarklyClient({ flagsFile, eventsUri: events.url });
    const kb = await sampleKb();
    const logger = options.logger ?? createLogger({ level: 'silent' });
    const deps: AppDeps = {
      ai: initAi(ldClient),
      models: new ProviderModelCaller({ simUrl: sim.url }),
      tools: createKbTools({ kb, logger }),
      prices: defaultPrices(),
      variables: manifest.variables,
      defaultMaxToolCalls: 5,
      retryAfterSeconds: 2,
      stream: options.stream ?? false,
      logger,
      maxMessageChars: options.maxMessageChars ?? 5000,
      maxBodyBytes: 256 * 1024,
      deadlineMs: options.deadlineMs ?? 30_000,
      readiness: async () => [{ name: 'launchdarkly', ok: ldClient.initialized(), detail: '' }],
    };
    return new AgentHarness(createApp(deps), sim, events, ldClient, dir);
  }

  /** `POST /chat` with a JSON body (a string is sent as is). */
  chat(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return Promise.resolve(
      this.app.request('/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  }

  /** Sends buffered LaunchDarkly events to the local endpoint. */
  flush(): Promise<void> {
    return this.ldClient.flush();
  }

  async close(): Promise<void> {
    await this.ldClient.flush().catch(() => {});
    this.ldClient.close();
    await this.sim.close();
    await this.events.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
