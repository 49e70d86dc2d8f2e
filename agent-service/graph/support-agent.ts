import type { ToolCall } from '../../shared/chat.js';
import { isToolName, TOOL_NAMES, toolNamesOf } from '../../shared/tool-definitions.js';
import type { ModelMessage, ModelToolCall, ModelToolSpec } from '../../shared/llm/index.js';
import { withSpan } from '../../shared/telemetry.js';
import { ServiceError } from '../service-error.js';
import { UNKNOWN_TOOL_ERROR, type AgentTool } from '../tools/types.js';
import type { AgentRecorder } from './agent-recorder.js';
import { callModel, startAgent, tracked, type AgentDeps, type RequestScope } from './agent-context.js';
import type { ChatTurn } from './chat-state.js';

/**
 * The support agent: a tool loop over the tools its AI Config lists in `model.parameters.tools`, with at most
 * `model.custom.max_tool_calls` tool calls per request (default from the service config). When the budget
 * is spent the model is asked once more with tools forbidden, so it must answer with what it has. The
 * answer is the model's final text only; tool output goes to the model, never into the answer.
 * A disabled support config is a 503 naming the config.
 */
export async function runSupport(
  deps: AgentDeps,
  scope: RequestScope,
  message: string,
  history: ChatTurn[],
): Promise<string> {
  const recorder = await startAgent(deps, scope, 'support');
  if (!recorder.config.enabled) {
    recorder.disabled();
    throw new ServiceError(
      503,
      'agent_disabled',
      `AI Config ${recorder.config.key} is disabled for this user (variation "${recorder.trackData.variationKey || 'none'}"), so there is no support agent to answer`,
      { agent: 'support' },
    );
  }
  return tracked(recorder, async () => {
    const tools = toolsOf(deps, recorder);
    const maxToolCalls = maxToolCallsOf(deps, recorder);
    const specs: ModelToolSpec[] = tools.map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.parameters,
    }));
    const messages: ModelMessage[] = [...history, { role: 'user', content: message }];
    for (;;) {
      const budgetLeft = maxToolCalls - recorder.toolCallCount;
      const response = await callModel(deps, scope, recorder, {
        system: recorder.config.instructions,
        messages,
        ...(specs.length > 0 ? { tools: specs, toolChoice: budgetLeft > 0 ? 'auto' : 'none' } : {}),
      });
      if (response.toolCalls.length === 0 || budgetLeft <= 0) {
        if (response.text.trim() === '') {
          throw new ServiceError(
            502,
            'upstream_error',
            budgetLeft <= 0
              ? `support agent gave no answer after its ${maxToolCalls} tool calls`
              : 'support agent returned an empty answer',
            { agent: 'support' },
          );
        }
        return response.text;
      }
      messages.push({
        role: 'assistant',
        content: response.text,
        toolCalls: response.toolCalls,
        ...(response.reasoning ? { reasoning: response.reasoning } : {}),
      });
      for (const call of response.toolCalls) {
        const content =
          recorder.toolCallCount < maxToolCalls
            ? await runTool(tools, call, recorder, scope.signal)
            : `not run: the limit of ${maxToolCalls} tool calls for this request was reached`;
        messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content });
      }
    }
  });
}

/** One tool call, in an `execute_tool <name>` span (GenAI conventions). */
function runTool(
  tools: AgentTool[],
  call: ModelToolCall,
  recorder: AgentRecorder,
  signal: AbortSignal,
): Promise<string> {
  const attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': call.name,
    'gen_ai.tool.call.id': call.id,
  };
  return withSpan(`execute_tool ${call.name}`, { attributes }, () =>
    runToolCall(tools, call, recorder, signal),
  );
}

async function runToolCall(
  tools: AgentTool[],
  call: ModelToolCall,
  recorder: AgentRecorder,
  signal: AbortSignal,
): Promise<string> {
  const started = performance.now();
  const record = (fields: Partial<ToolCall>) =>
    recorder.addToolCall({
      name: call.name,
      args: {},
      cited: [],
      ...fields,
      durationMs: Math.round(performance.now() - started),
    });
  const tool = tools.find((t) => t.name === call.name);
  if (!tool) {
    record({ error: UNKNOWN_TOOL_ERROR });
    return `error: there is no tool named ${call.name}`;
  }
  let args: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(call.arguments || '{}');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('not an object');
    }
    args = parsed as Record<string, unknown>;
  } catch {
    record({ error: 'arguments are not a JSON object' });
    return 'error: the arguments were not a JSON object';
  }
  try {
    const result = await tool.run(args, signal);
    record({ args, cited: result.cited });
    return result.content;
  } catch (err) {
    if (signal.aborted) {
      throw err;
    }
    const message = (err as Error).message ?? String(err);
    record({ args, error: message });
    return `error: ${message}`;
  }
}

/**
 * The tools the config names in `model.parameters.tools`, as tool objects (LaunchDarkly's shape) or names.
 * A tool this service does not implement, or an entry of neither shape, is a 500 `config_error` naming the
 * config, variation and entry: the variation would otherwise run a different treatment than configured.
 * A tool the service implements but does not offer here (no index, no MCP server) is left out and logged
 * once by the registry.
 */
function toolsOf(deps: AgentDeps, recorder: AgentRecorder): AgentTool[] {
  const { names, invalid } = toolNamesOf(recorder.config.model?.parameters?.tools);
  const unknown = names.filter((name) => !isToolName(name));
  if (unknown.length > 0 || invalid.length > 0) {
    const problems = [
      ...unknown.map((name) => `unknown tool "${name}"`),
      ...invalid.map((entry) => `entry ${JSON.stringify(entry)} is neither a tool name nor a tool object`),
    ];
    throw new ServiceError(
      500,
      'config_error',
      `AI Config ${recorder.config.key} (variation ${recorder.trackData.variationKey}) model.parameters.tools: ${problems.join('; ')} (the agent service's tools: ${TOOL_NAMES.join(', ')})`,
      { agent: 'support' },
    );
  }
  // LaunchDarkly may list a tool twice (attached as an AI tool and named in the parameters): offer it once.
  return deps.tools.pick([...new Set(names)]);
}

function maxToolCallsOf(deps: AgentDeps, recorder: AgentRecorder): number {
  const value = recorder.config.model?.custom?.max_tool_calls;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
    ? value
    : deps.defaultMaxToolCalls;
}
