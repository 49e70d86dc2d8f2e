import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKbTools, type ToolRegistry } from '../agent-service/tools/create-kb-tools.js';
import { MAX_TOOL_RESULT_CHARS } from '../agent-service/tools/format-results.js';
import { loadConfig as loadAgentServiceConfig } from '../agent-service/config.js';
import { mcpServersFromConfig, splitCommand } from '../agent-service/tools/tools-env.js';
import { loadKnowledgeBase, type KnowledgeBase } from '../shared/kb/loader.js';
import { createLogger } from '../shared/logger.js';
import { packageRoot } from '../shared/paths.js';

/** A small arXiv-like MCP server over Streamable HTTP (stateless: a server and transport per request). */
async function startPaperServer(): Promise<{ url: string; calls: unknown[]; close(): Promise<void> }> {
  const calls: unknown[] = [];
  const http: Server = createServer(async (req, res) => {
    const mcp = new McpServer({ name: 'papers', version: '1.0.0' });
    mcp.registerTool(
      'search_papers',
      {
        description: 'Search papers',
        inputSchema: { query: z.string(), max_results: z.number().int().optional() },
      },
      async ({ query, max_results }) => {
        calls.push({ query, max_results });
        if (query === 'explode') {
          return { isError: true, content: [{ type: 'text', text: 'upstream arXiv API is down' }] };
        }
        const papers = [
          { id: '1707.06347v2', title: 'Proximal Policy Optimization Algorithms' },
          { id: '1312.5602', title: 'Playing Atari with Deep Reinforcement Learning' },
          { id: '1509.06461', title: 'Deep Reinforcement Learning with Double Q-learning' },
        ].slice(0, max_results ?? 3);
        const text = papers.map((p) => `${p.id}: ${p.title} (about ${query})`).join('\n');
        return { content: [{ type: 'text', text: query === 'huge' ? text.repeat(500) : text }] };
      },
    );
    mcp.registerTool('download_paper', { inputSchema: { paper_id: z.string() } }, async () => ({
      content: [{ type: 'text', text: 'pdf' }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** The same kind of server over stdio, as a child process (`node -e`), Semantic Scholar style arguments. */
const STDIO_SERVER = `
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
const server = new McpServer({ name: 's2', version: '1.0.0' });
server.registerTool('paper_search', { inputSchema: { q: z.string(), limit: z.number().optional() } },
  async ({ q, limit }) => ({ content: [{ type: 'text', text:
    'paperId 649def34f8be52c8b66281af98ae884c09aef38b: Human-level control through deep RL (' + q + ', limit ' + limit + ', key ' + process.env.S2_TEST_KEY + ')' }] }));
await server.connect(new StdioServerTransport());
`;

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

let kb: KnowledgeBase;
beforeAll(async () => {
  kb = await loadKnowledgeBase(join(packageRoot, 'kb'));
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});
const track = (registry: ToolRegistry) => {
  cleanups.push(() => registry.close());
  return registry;
};

describe('MCP research tools', () => {
  it('calls an arXiv server over Streamable HTTP through a real MCP client', async () => {
    const server = await startPaperServer();
    cleanups.push(() => server.close());
    const { logger } = captureLogger();
    const tools = track(
      createKbTools({ kb, logger, mcp: mcpServersFromConfig({ mcpArxivUrl: server.url }) }),
    );
    const arxiv = tools.get('arxiv_search');
    expect(arxiv).toBeDefined();
    const result = await arxiv!.run({ query: 'policy optimization', max_results: 2 });
    expect(server.calls).toEqual([{ query: 'policy optimization', max_results: 2 }]);
    expect(result.content).toContain('Proximal Policy Optimization Algorithms');
    expect(result.cited).toEqual(['arxiv:1707.06347', 'arxiv:1312.5602']);

    const huge = await arxiv!.run({ query: 'huge', max_results: 50 });
    expect(server.calls.at(-1)).toEqual({ query: 'huge', max_results: 10 });
    expect(huge.content.length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS);

    await expect(arxiv!.run({ query: 'explode' })).rejects.toThrow(
      /reported an error: upstream arXiv API is down/,
    );
  });

  it("one caller's abort does not fail another caller waiting for the same tool lookup", async () => {
    const server = await startPaperServer();
    cleanups.push(() => server.close());
    const { logger } = captureLogger();
    const tools = track(
      createKbTools({ kb, logger, mcp: mcpServersFromConfig({ mcpArxivUrl: server.url }) }),
    );
    const arxiv = tools.get('arxiv_search')!;
    const first = new AbortController();
    const abandoned = arxiv.run({ query: 'policy optimization' }, first.signal);
    const waiting = arxiv.run({ query: 'double q-learning' }, new AbortController().signal);
    // Both wait for the first lookup of the remote tool; the first caller's deadline passes meanwhile.
    first.abort(new Error('deadline passed'));
    await expect(abandoned).rejects.toThrow('deadline passed');
    await expect(waiting).resolves.toMatchObject({ cited: expect.arrayContaining(['arxiv:1509.06461']) });
    expect(server.calls).toEqual([{ query: 'double q-learning', max_results: 5 }]);
  });

  it('spawns a stdio server from a command line, maps argument names and passes listed variables', async () => {
    const mcp = mcpServersFromConfig(
      { mcpSemanticScholarCommand: 'node --input-type=module -e "$SCRIPT"', mcpPassEnv: 'S2_TEST_KEY' },
      { S2_TEST_KEY: 'k-123', OTHER: 'no' },
    );
    const config = mcp.semanticScholar;
    if (!config || !('command' in config)) {
      throw new Error('expected a stdio server');
    }
    expect([config.command, config.args]).toEqual(['node', ['--input-type=module', '-e', '$SCRIPT']]);
    // Only the listed variable is passed on.
    expect(config.env).toEqual({ S2_TEST_KEY: 'k-123' });
    // The script is long; put it in place of the placeholder and run from the package so imports resolve.
    const semanticScholar = {
      ...config,
      command: process.execPath,
      args: ['--input-type=module', '-e', STDIO_SERVER],
      cwd: packageRoot,
    };
    const { logger } = captureLogger();
    const tools = track(createKbTools({ kb, logger, mcp: { semanticScholar } }));
    const result = await tools.get('semantic_scholar')!.run({ query: 'deep q network', max_results: 3 });
    expect(result.content).toContain(
      'Human-level control through deep RL (deep q network, limit 3, key k-123)',
    );
    expect(result.cited).toEqual(['s2:649def34f8be52c8b66281af98ae884c09aef38b']);
  });

  it('does not offer a tool whose server is not configured, and says so once', async () => {
    const { logger, lines } = captureLogger();
    const tools = track(createKbTools({ kb, logger }));
    expect([...tools.keys()].sort()).toEqual(['reranking', 'search_v1']);
    expect(
      tools
        .pick(['search_v1', 'arxiv_search', 'semantic_scholar', 'arxiv_search', 'nope'])
        .map((t) => t.name),
    ).toEqual(['search_v1']);
    tools.pick(['arxiv_search', 'nope']);
    const notOffered = lines.filter((l) => l.msg === 'tool not offered').map((l) => l.tool);
    expect(notOffered.sort()).toEqual(['arxiv_search', 'nope', 'search_v2', 'semantic_scholar']);
    expect(lines.find((l) => l.tool === 'arxiv_search')?.reason).toMatch(
      /MCP_ARXIV_URL or MCP_ARXIV_COMMAND/,
    );
  });

  it('names a server that cannot be reached and a remote tool that does not exist', async () => {
    const server = await startPaperServer();
    cleanups.push(() => server.close());
    const { logger } = captureLogger();
    const tools = track(
      createKbTools({
        kb,
        logger,
        mcp: {
          arxiv: { url: server.url, tool: 'missing' },
          semanticScholar: { url: 'http://127.0.0.1:9/mcp' },
        },
      }),
    );
    await expect(tools.get('arxiv_search')!.run({ query: 'x' })).rejects.toThrow(
      /no tool "missing" \(it offers: search_papers, download_paper\)/,
    );
    await expect(tools.get('semantic_scholar')!.run({ query: 'x' })).rejects.toThrow(
      /cannot reach MCP server semantic-scholar \(http:\/\/127\.0\.0\.1:9\/mcp\)/,
    );
  });
});

describe('MCP configuration', () => {
  it('splits command lines like a shell and rejects ambiguous settings', () => {
    expect(
      splitCommand(`uvx arxiv-mcp-server --storage-path '/tmp/my papers' --x "a \\"b\\"" c\\ d`),
    ).toEqual(['uvx', 'arxiv-mcp-server', '--storage-path', '/tmp/my papers', '--x', 'a "b"', 'c d']);
    expect(() => splitCommand('node "oops', 'MCP_ARXIV_COMMAND')).toThrow(/MCP_ARXIV_COMMAND: unterminated/);
    // The agent service's config refuses it at start, with the variables' names.
    expect(() => loadAgentServiceConfig({ MCP_ARXIV_URL: 'http://x/mcp', MCP_ARXIV_COMMAND: 'x' })).toThrow(
      /MCP_ARXIV_URL or MCP_ARXIV_COMMAND, not both/,
    );
    expect(loadAgentServiceConfig({ MCP_ARXIV_URL: 'http://x/mcp' }).mcpServers).toEqual({
      arxiv: { url: 'http://x/mcp', tool: undefined },
    });
    expect(mcpServersFromConfig({})).toEqual({});
  });
});
