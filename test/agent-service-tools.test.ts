import { initAi } from '@launchdarkly/server-sdk-ai';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../shared/chat.js';
import { aiConfigTool, TOOL_DEFINITIONS } from '../shared/tool-definitions.js';
import { AgentHarness, type HarnessOptions } from './agent-service-harness.js';

// US free-plan users get `other-free` (OpenAI gpt-4o-mini, tools [search_v1]); French paid-plan users get
// `eu-paid` (Anthropic, tools [search_v1, search_v2, reranking]; search_v2 is not offered without an index).
const usFree = { key: 'tools-us-free', country: 'US', plan: 'free' };
const frPaid = { key: 'tools-fr-paid', country: 'FR', plan: 'paid' };
const question = 'How does policy gradient work?';

/** The names and descriptions of the tools llm-sim was offered, from the requests it received. */
function offeredTools(h: AgentHarness): { name: string; description: string }[][] {
  return h.sim
    .requests()
    .map((r) => r.body as { tools?: Record<string, unknown>[] })
    .filter((b) => b.tools !== undefined)
    .map((b) =>
      (b.tools ?? []).map((t) => {
        // OpenAI: { type, function: { name, description } }; Anthropic: { name, description, input_schema }.
        const fn = (t.function ?? t) as { name: string; description: string };
        return { name: fn.name, description: fn.description };
      }),
    );
}

/** Rewrites the support variation's `model.parameters.tools` in the generated flag data. */
function supportTools(variation: string, tools: unknown): HarnessOptions['flagData'] {
  return (data) => {
    const flag = data.flags['support-agent']!;
    const value = flag.variations.find((v) => v._ldMeta.variationKey === variation)!;
    value.model!.parameters.tools = tools;
  };
}

describe('support agent tools from the AI Config', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('serves tool objects as LaunchDarkly does, and the agent offers them to the model (OpenAI and Anthropic)', async () => {
    h = await AgentHarness.start();
    const config = await initAi(h.ldClient).agentConfig(
      'support-agent',
      { kind: 'user', ...usFree },
      { enabled: false },
    );
    expect(config.model?.parameters?.tools).toEqual([
      { type: 'function', name: 'search_v1', ...TOOL_DEFINITIONS.search_v1 },
    ]);

    expect((await h.chat({ message: question, user: usFree })).status).toBe(200);
    expect(offeredTools(h)).toContainEqual([
      { name: 'search_v1', description: TOOL_DEFINITIONS.search_v1.description },
    ]);

    expect((await h.chat({ message: question, user: frPaid })).status).toBe(200);
    expect(offeredTools(h)).toContainEqual([
      { name: 'search_v1', description: TOOL_DEFINITIONS.search_v1.description },
      { name: 'reranking', description: TOOL_DEFINITIONS.reranking.description },
    ]);
  });

  it('still accepts plain tool names', async () => {
    h = await AgentHarness.start({ flagData: supportTools('other-free', ['search_v1', 'reranking']) });
    expect((await h.chat({ message: question, user: usFree })).status).toBe(200);
    expect(
      offeredTools(h)
        .at(-1)
        ?.map((t) => t.name),
    ).toEqual(['search_v1', 'reranking']);
  });

  it('fails the request with config_error naming config, variation and tool when a tool is unknown', async () => {
    h = await AgentHarness.start({
      flagData: supportTools('other-free', [
        aiConfigTool('search_v1'),
        { type: 'function', name: 'web_search', description: 'x', parameters: {} },
        42,
      ]),
    });
    const res = await h.chat({ message: question, user: usFree });
    expect(res.status).toBe(500);
    const body = ErrorBodySchema.parse(await res.json());
    expect(body.error.code).toBe('config_error');
    expect(body.error.message).toContain('AI Config support-agent (variation other-free)');
    expect(body.error.message).toContain('unknown tool "web_search"');
    expect(body.error.message).toContain('entry 42 is neither a tool name nor a tool object');
    // The model never got a request without its tools.
    expect(offeredTools(h)).toEqual([]);
  });
});
