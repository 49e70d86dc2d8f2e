import type { LDContext } from '@launchdarkly/node-server-sdk';
import type { LDAIClient } from '@launchdarkly/server-sdk-ai';
import { z } from 'zod';
import type { AgentRun } from '../../shared/chat.js';
import { coerceError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { PriceTable } from '../../shared/pricing.js';
import { annotateSpan } from '../../shared/telemetry.js';
import type { AgentTool } from '../tools/types.js';
import {
  resolveProvider,
  type ModelCaller,
  type ModelRequest,
  type ModelResponse,
  type Provider,
} from '../../shared/llm/index.js';
import { providerError } from '../llm/provider-error.js';
import { ServiceError } from '../service-error.js';
import { AgentRecorder, type AgentName } from './agent-recorder.js';

/** The AI Config keys of the three agents (data/manifest.yaml). */
export const CONFIG_KEYS: Record<AgentName, string> = {
  supervisor: 'supervisor-agent',
  security: 'security-agent',
  support: 'support-agent',
};

/** What the graph's agents need for every request; wired with the real things in agent-service/index.ts. */
export interface AgentDeps {
  /** The AI SDK client (`initAi(ldClient)`), or anything with its `agentConfig`. */
  ai: Pick<LDAIClient, 'agentConfig'>;
  models: ModelCaller;
  /** The tools on offer; an AI Config names the ones its agent may call (agent-service/tools ToolRegistry). */
  tools: { pick(names: readonly string[]): AgentTool[] };
  prices: PriceTable;
  /** Variables for the instructions' `{{placeholders}}` (the manifest's `variables`). */
  variables: Record<string, string>;
  /** Tool calls per request when a config sets no `model.custom.max_tool_calls`. */
  defaultMaxToolCalls: number;
  /** `Retry-After` seconds when a rate-limiting provider sends none. */
  retryAfterSeconds: number;
  /** Stream model responses (and track time to first token). */
  stream: boolean;
  logger: Logger;
}

/** One request's scope: who asks, its deadline, and where finished agent runs go. */
export interface RequestScope {
  requestId: string;
  context: LDContext;
  /** Aborted at the request's deadline. */
  signal: AbortSignal;
  logger: Logger;
  onAgentRun(run: AgentRun): void;
}

/** Evaluates the agent's AI Config for the request's context, now that the agent runs. */
export async function startAgent(
  deps: AgentDeps,
  scope: RequestScope,
  agent: AgentName,
): Promise<AgentRecorder> {
  const config = await deps.ai.agentConfig(
    CONFIG_KEYS[agent],
    scope.context,
    { enabled: false },
    deps.variables,
  );
  const recorder = new AgentRecorder(agent, config, deps.prices, scope.onAgentRun);
  // The experiment arm this agent runs in, on its `invoke_agent` span (OpenTelemetry feature-flag attributes).
  annotateSpan({
    'feature_flag.key': config.key,
    'feature_flag.result.variant': recorder.trackData.variationKey,
    'feature_flag.provider.name': 'LaunchDarkly',
    'loadgen.config_enabled': config.enabled,
  });
  return recorder;
}

export interface ModelSettings {
  provider: Provider;
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
}

/**
 * Provider, model and parameters of an enabled config. The provider is the config's, else inferred from the model
 * (shared/llm `resolveProvider`, the one rule); a config without a model, or whose provider cannot be placed, is an
 * error naming the config.
 */
export function modelSettings(recorder: AgentRecorder): ModelSettings {
  const { config } = recorder;
  const model = config.model?.name;
  const where = `AI Config ${config.key} (variation ${recorder.trackData.variationKey})`;
  if (!model) {
    throw new ServiceError(500, 'internal_error', `${where} names no model`);
  }
  let provider: Provider;
  try {
    provider = resolveProvider(model, { provider: config.provider?.name });
  } catch (err) {
    throw new ServiceError(500, 'internal_error', `${where}: ${(err as Error).message}`);
  }
  const params = config.model?.parameters ?? {};
  const temperature = typeof params.temperature === 'number' ? params.temperature : undefined;
  const maxTokens = params.max_tokens ?? params.maxTokens;
  return { provider, model, temperature, maxTokens: typeof maxTokens === 'number' ? maxTokens : undefined };
}

/**
 * One model call for an agent: counts its tokens on the agent's recorder and turns a provider failure into
 * the service's HTTP error (429, 503, 504, 502).
 */
export async function callModel(
  deps: AgentDeps,
  scope: RequestScope,
  recorder: AgentRecorder,
  request: Omit<ModelRequest, 'provider' | 'model' | 'temperature' | 'maxTokens' | 'signal' | 'stream'>,
): Promise<ModelResponse> {
  const settings = modelSettings(recorder);
  recorder.markCallStart();
  try {
    const response = await deps.models.call({
      ...request,
      ...settings,
      stream: deps.stream,
      signal: scope.signal,
    });
    recorder.addUsage(response.usage, response.timeToFirstTokenMs);
    return response;
  } catch (err) {
    throw providerError(coerceError(err), {
      provider: settings.provider,
      model: settings.model,
      agent: recorder.agent,
      config: recorder.config.key,
      variation: recorder.trackData.variationKey,
      deadline: scope.signal,
      defaultRetryAfterSeconds: deps.retryAfterSeconds,
    });
  }
}

/** Parses a structured answer; output that does not match is an upstream failure (502). */
export function parseStructured<S extends z.ZodType>(
  schema: S,
  recorder: AgentRecorder,
  text: string,
): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const settings = modelSettings(recorder);
    throw new ServiceError(
      502,
      'upstream_error',
      `${recorder.agent} agent (${settings.provider} ${settings.model}) returned output that does not match its structure`,
      { agent: recorder.agent },
    );
  }
  return result.data;
}

/** JSON Schema for structured output from a zod object (strict: no extra properties, all required). */
export function structuredSchema(schema: z.ZodObject): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return json;
}

/**
 * Runs `body` as the agent's work and tracks the outcome through the recorder whatever happens: success,
 * a provider error after tokens were spent, or the deadline.
 */
export async function tracked<T>(recorder: AgentRecorder, body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    recorder.succeed();
    return result;
  } catch (err) {
    recorder.fail(coerceError(err));
    throw err;
  }
}
