import { createSimApp } from './app.js';
import { loadProfile, type ProfileOverrides, type SimProfile } from './profile.js';
import { SimState, type RecordedRequest, type ScheduledFault, type SimStats } from './sim-state.js';
import { listenHttp } from '../shared/http-server.js';

export type { FaultKind, ModelProfile, ProfileOverrides, SimProfile } from './profile.js';
export { DEFAULT_PROFILE_PATH, loadProfile, resolveModel } from './profile.js';
export type { ModelStats, RecordedRequest, ScheduledFault, SimStats } from './sim-state.js';
export { JUDGE_NAME } from './engine.js';
export { lastMarker, qualityMarker } from './text.js';

export interface LlmSimOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Same seed and same requests give the same answers. Defaults to 1. */
  seed?: number;
  /** A profile file path or object; defaults to data/sim-profile.yaml. */
  profile?: string | SimProfile;
  /** Merged over the profile, e.g. `{ allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } }`. */
  overrides?: ProfileOverrides;
}

export interface LlmSim {
  /** Base URL, e.g. http://127.0.0.1:PORT; OpenAI clients use `${url}/v1`, Anthropic clients `${url}`. */
  url: string;
  /** Stops listening, ends hanging requests and open connections. Safe to call twice. */
  close(): Promise<void>;
  stats(): SimStats;
  /** Recent requests (bounded), oldest first, with path, model and body. */
  requests(): RecordedRequest[];
  /** Makes upcoming matching requests fail: skip `skip`, then fail `count` (default 1). */
  scheduleFault(fault: ScheduledFault): void;
}

/**
 * Starts llm-sim in this process: an HTTP server speaking the OpenAI and Anthropic wire protocols, answering
 * from model profiles (latency, tokens, tool use, quality, faults). Throws a `ConfigError` on a bad profile.
 */
export async function startLlmSim(options: LlmSimOptions = {}): Promise<LlmSim> {
  const profile = loadProfile(options.profile, options.overrides);
  const state = new SimState(profile, options.seed ?? 1);
  const app = createSimApp(state);
  const server = await listenHttp(app.fetch, options.port ?? 0, options.host ?? '127.0.0.1');
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    close() {
      if (!closing) {
        state.releaseHangs();
        closing = server.close();
      }
      return closing;
    },
    stats: () => state.stats(),
    requests: () => state.requests(),
    scheduleFault: (fault) => state.scheduleFault(fault),
  };
}
