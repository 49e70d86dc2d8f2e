import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_CHARS } from '../shared/chat.js';
import { commonEnv, launchDarklyEnv, llmEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';
import { kbEnv } from '../shared/kb/index.js';
import { telemetryEnv } from '../shared/telemetry-env.js';
import { mcpEnv, mcpServersFromConfig, type McpServers } from './tools/tools-env.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Environment of `loadgen agent-service` (and of `startAgentService`, which gets it passed in). */
export const AgentServiceEnvSchema = z.object({
  ...commonEnv,
  ...telemetryEnv,
  ...launchDarklyEnv,
  ...llmEnv,
  ...kbEnv,
  ...mcpEnv,
  /** Longest `message` accepted by POST /chat, in characters. */
  AGENT_MAX_MESSAGE_CHARS: positiveInt(DEFAULT_MAX_MESSAGE_CHARS),
  /** Largest request body accepted, in bytes (413 above it). */
  AGENT_MAX_BODY_BYTES: positiveInt(256 * 1024),
  /** Per-request deadline in milliseconds: a request still running then gets 504. */
  AGENT_REQUEST_DEADLINE_MS: positiveInt(60_000),
  /** Tool calls a support agent may make per request when its AI Config sets no `max_tool_calls`. */
  AGENT_DEFAULT_MAX_TOOL_CALLS: positiveInt(5),
  /**
   * Stream model responses, which also tracks time to first token (true or false). Off by default: streaming
   * costs about a quarter more CPU per request (146 vs 113 requests/s measured against llm-sim).
   */
  AGENT_STREAM: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /**
   * On SIGTERM, how long requests in flight may run on before their connections are dropped, in ms (new
   * connections are refused at once); empty means the default. Below the 30 s in which every shutdown step
   * must end.
   */
  AGENT_SHUTDOWN_GRACE_MS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).max(25_000).default(20_000),
  ),
  /** Seconds sent in `Retry-After` when a provider rate-limits or is overloaded without saying how long. */
  AGENT_RETRY_AFTER_SECONDS: positiveInt(2),
});

/** Each variable under its camelCase name (`AGENT_STREAM` → `agentStream`), plus the MCP servers they set up. */
export type AgentServiceConfig = EnvConfig<typeof AgentServiceEnvSchema> & {
  /** The MCP research servers, with the variables `MCP_PASS_ENV` names already read from the environment. */
  mcpServers: McpServers;
};

/**
 * Parses the agent service's environment once at start; a bad value (or an MCP server given both a URL and a
 * command) throws a `ConfigError` naming it.
 */
export function loadConfig(env: Env = process.env): AgentServiceConfig {
  const config = parseEnv(AgentServiceEnvSchema, env);
  return { ...config, mcpServers: mcpServersFromConfig(config, env) };
}
