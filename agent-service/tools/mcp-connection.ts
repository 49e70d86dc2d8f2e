import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../../shared/logger.js';
import { redactUrl } from '../../shared/logger.js';

/** Where an MCP server is: an HTTP URL (Streamable HTTP), or a command to spawn (stdio). */
export type McpServerConfig =
  | { url: string; tool?: string | undefined }
  | {
      command: string;
      args: string[];
      env?: Record<string, string>;
      cwd?: string;
      tool?: string | undefined;
    };

/** A remote tool as the server lists it. */
export interface RemoteTool {
  name: string;
  description?: string | undefined;
  inputSchema: { properties?: Record<string, unknown> | undefined };
}

/** What a tool call returns, reduced to what the agent tools use. */
export interface RemoteCallResult {
  isError: boolean;
  text: string;
  structured?: unknown;
}

const CALL_TIMEOUT_MS = 30_000;

/**
 * One MCP client session with one server, opened on first use (so a server that is down at start-up does
 * not stop the agent service) and reopened on the next call after it drops. `close()` is safe to call twice.
 */
export class McpConnection {
  private client: Promise<Client> | undefined;
  private closed = false;

  constructor(
    /** Used in logs and errors, e.g. `arxiv`. */
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly logger?: Logger,
  ) {}

  /** Where the server is, for logs: the URL without credentials, or the command without its arguments. */
  describe(): string {
    return 'url' in this.config ? redactUrl(this.config.url) : this.config.command;
  }

  async listTools(signal?: AbortSignal): Promise<RemoteTool[]> {
    const client = await this.connect();
    const { tools } = await client.listTools({}, { timeout: CALL_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    return tools;
  }

  async callTool(
    name: string,
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<RemoteCallResult> {
    const client = await this.connect();
    const result = await client.callTool({ name, arguments: args }, undefined, {
      timeout: CALL_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    const content = Array.isArray(result.content)
      ? (result.content as Array<{ type: string; text?: string }>)
      : [];
    return {
      isError: result.isError === true,
      text: content
        .filter((item) => item.type === 'text' && typeof item.text === 'string')
        .map((item) => item.text)
        .join('\n'),
      ...(result.structuredContent === undefined ? {} : { structured: result.structuredContent }),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.then((c) => c.close()).catch(() => {});
    }
  }

  private connect(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(new Error(`MCP server ${this.name} connection is closed`));
    }
    this.client ??= this.open().catch((err: unknown) => {
      this.client = undefined;
      throw new Error(
        `cannot reach MCP server ${this.name} (${this.describe()}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    });
    return this.client;
  }

  private async open(): Promise<Client> {
    const client = new Client({ name: 'loadgen-agent-service', version: '1.0.0' });
    const transport = this.transport();
    // A dropped session is reopened on the next call rather than failing every later call.
    transport.onclose = () => {
      this.client = undefined;
    };
    await client.connect(transport);
    this.logger?.info({ server: this.name, at: this.describe() }, 'connected to MCP server');
    return client;
  }

  private transport(): Transport {
    if ('url' in this.config) {
      return new StreamableHTTPClientTransport(new URL(this.config.url));
    }
    const transport = new StdioClientTransport({
      command: this.config.command,
      args: this.config.args,
      env: { ...getDefaultEnvironment(), ...this.config.env },
      ...(this.config.cwd ? { cwd: this.config.cwd } : {}),
      stderr: 'pipe',
    });
    // The server's own diagnostics: useful when debugging, noise otherwise.
    transport.stderr?.on('data', (data: Buffer) =>
      this.logger?.debug({ server: this.name, stderr: data.toString().trimEnd() }, 'MCP server stderr'),
    );
    return transport;
  }
}
