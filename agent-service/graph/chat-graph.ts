import { END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
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

/**
 * The multi-agent graph: supervisor → (security when PII is found) → support. Built once per app;
 * each request passes its scope (user context, deadline, run collector) in `configurable`.
 */
export function buildChatGraph(deps: AgentDeps) {
  skipRootRunTrees();
  return new StateGraph(ChatState)
    .addNode('supervisor', async (state: ChatStateValue, config: LangGraphRunnableConfig) => {
      const decision = await runSupervisor(deps, scopeOf(config), state.message, state.history);
      return {
        containsPii: decision.containsPii,
        safeMessage: state.message,
        safeHistory: state.history,
        path: ['supervisor'],
      };
    })
    .addNode('security', async (state: ChatStateValue, config: LangGraphRunnableConfig) => {
      const safe = await runSecurity(deps, scopeOf(config), state.message, state.history);
      return { safeMessage: safe.message, safeHistory: safe.history, path: ['security'] };
    })
    .addNode('support', async (state: ChatStateValue, config: LangGraphRunnableConfig) => {
      const answer = await runSupport(deps, scopeOf(config), state.safeMessage, state.safeHistory);
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
