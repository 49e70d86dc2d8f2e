import { END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { withSpan } from '../../shared/telemetry.js';
import type { AgentDeps, RequestScope } from './agent-context.js';
import { ChatState, type ChatStateValue } from './chat-state.js';
import { runSecurity } from './security-agent.js';
import { runSupervisor } from './supervisor-agent.js';
import { skipRootRunTrees } from './skip-root-run-trees.js';
import { runSupport } from './support-agent.js';

/** What each invocation passes in `configurable.scope`. */
export interface ChatGraphConfigurable {
  scope: RequestScope;
}

function scopeOf(config: LangGraphRunnableConfig): RequestScope {
  const scope = (config.configurable as Partial<ChatGraphConfigurable> | undefined)?.scope;
  if (!scope) {
    throw new Error('chat graph invoked without configurable.scope');
  }
  return scope;
}

/** A span per agent (`invoke_agent <name>`, GenAI conventions); `startAgent` adds its AI Config and variation. */
function agentSpan<T>(agent: string, body: () => Promise<T>): Promise<T> {
  return withSpan(
    `invoke_agent ${agent}`,
    { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': agent } },
    body,
  );
}

/**
 * The multi-agent graph: supervisor → (security when PII is found) → support. Built once per app;
 * each request passes its scope (user context, deadline, run collector) in `configurable`.
 */
export function buildChatGraph(deps: AgentDeps) {
  skipRootRunTrees();
  return new StateGraph(ChatState)
    .addNode('supervisor', async (state: ChatStateValue, config: LangGraphRunnableConfig) => {
      const decision = await agentSpan('supervisor', () =>
        runSupervisor(deps, scopeOf(config), state.message, state.history),
      );
      return {
        containsPii: decision.containsPii,
        safeMessage: state.message,
        safeHistory: state.history,
        path: ['supervisor'],
      };
    })
    .addNode('security', async (state: ChatStateValue, config: LangGraphRunnableConfig) => {
      const safe = await agentSpan('security', () =>
        runSecurity(deps, scopeOf(config), state.message, state.history),
      );
      return { safeMessage: safe.message, safeHistory: safe.history, path: ['security'] };
    })
    .addNode('support', async (state: ChatStateValue, config: LangGraphRunnableConfig) => {
      const answer = await agentSpan('support', () =>
        runSupport(deps, scopeOf(config), state.safeMessage, state.safeHistory),
      );
      return { answer, path: ['support'] };
    })
    .addEdge(START, 'supervisor')
    .addConditionalEdges(
      'supervisor',
      (state: ChatStateValue) => (state.containsPii ? 'security' : 'support'),
      ['security', 'support'],
    )
    .addEdge('security', 'support')
    .addEdge('support', END)
    .compile();
}

export type ChatGraph = ReturnType<typeof buildChatGraph>;
