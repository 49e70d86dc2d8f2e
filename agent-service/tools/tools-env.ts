import { z } from 'zod';
import type { Env, EnvConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';
import type { McpServerConfig } from './mcp-connection.js';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());

/** Variables of the MCP research tools, for the agent service's config schema. */
export const mcpEnv = {
  /** Streamable HTTP URL of an arXiv MCP server; enables arxiv_search. */
  MCP_ARXIV_URL: optionalUrl,
  /** Or a command that starts one on stdio, e.g. `uvx arxiv-mcp-server`. */
  MCP_ARXIV_COMMAND: optionalString,
  /** The server's tool to call (default: the first whose name contains "search"). */
  MCP_ARXIV_TOOL: optionalString,
  /** Streamable HTTP URL of a Semantic Scholar MCP server; enables semantic_scholar. */
  MCP_SEMANTIC_SCHOLAR_URL: optionalUrl,
  /** Or a command that starts one on stdio. */
  MCP_SEMANTIC_SCHOLAR_COMMAND: optionalString,
  /** The server's tool to call (default: the first whose name contains "search"). */
  MCP_SEMANTIC_SCHOLAR_TOOL: optionalString,
  /** Comma-separated names of variables passed on to stdio MCP servers (they get only PATH, HOME and such). */
  MCP_PASS_ENV: optionalString,
};

type McpEnvConfig = EnvConfig<z.ZodObject<typeof mcpEnv>>;

export interface McpServers {
  arxiv?: McpServerConfig;
  semanticScholar?: McpServerConfig;
}

/**
 * The configured MCP servers. `env` is the environment the config was parsed from, for `MCP_PASS_ENV`.
 * Setting both the URL and the command of one server is a `ConfigError` naming both.
 */
export function mcpServersFromConfig(config: Partial<McpEnvConfig>, env: Env = {}): McpServers {
  const passed: Record<string, string> = {};
  for (const name of (config.mcpPassEnv ?? '').split(',').map((n) => n.trim())) {
    const value = name === '' ? undefined : env[name];
    if (value !== undefined) {
      passed[name] = value;
    }
  }
  const server = (
    prefix: 'MCP_ARXIV' | 'MCP_SEMANTIC_SCHOLAR',
    field: 'mcpArxiv' | 'mcpSemanticScholar',
  ): McpServerConfig | undefined => {
    const url = config[`${field}Url`];
    const command = config[`${field}Command`];
    const tool = config[`${field}Tool`];
    if (url && command) {
      throw new ConfigError(`set ${prefix}_URL or ${prefix}_COMMAND, not both`);
    }
    if (url) {
      return { url, tool };
    }
    if (command) {
      const [executable, ...args] = splitCommand(command, `${prefix}_COMMAND`);
      return { command: executable as string, args, env: passed, tool };
    }
    return undefined;
  };
  const arxiv = server('MCP_ARXIV', 'mcpArxiv');
  const semanticScholar = server('MCP_SEMANTIC_SCHOLAR', 'mcpSemanticScholar');
  return { ...(arxiv ? { arxiv } : {}), ...(semanticScholar ? { semanticScholar } : {}) };
}

/**
 * Splits a command line into words the way a POSIX shell would for plain words, 'single' and "double"
 * quotes and backslash escapes (no variables, globs or pipes: the command is run without a shell).
 */
export function splitCommand(line: string, variable = 'command'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) {
        quote = undefined;
      } else if (ch === '\\' && quote === '"' && i + 1 < line.length) {
        word += line[++i];
      } else {
        word += ch;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) {
        words.push(word);
      }
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) {
    throw new ConfigError(`${variable}: unterminated ${quote} quote`);
  }
  if (inWord) {
    words.push(word);
  }
  if (words.length === 0) {
    throw new ConfigError(`${variable}: empty command`);
  }
  return words;
}
