import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';
import { Annotation, END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { RunTree } from 'langsmith';
import { describe, expect, it } from 'vitest';
import { skipRootRunTrees } from './skip-root-run-trees.js';

const State = Annotation.Root({
  seen: Annotation<unknown[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** A one-node graph whose node reports what AsyncLocalStorage holds and what config it was given. */
function probeGraph() {
  return new StateGraph(State)
    .addNode('probe', (_state, config: LangGraphRunnableConfig) => ({
      seen: [AsyncLocalStorageProviderSingleton.getInstance().getStore(), config.configurable?.scope],
    }))
    .addEdge(START, 'probe')
    .addEdge('probe', END)
    .compile();
}

describe('skipRootRunTrees', () => {
  it('stops LangGraph building a RunTree per runnable; nodes still get their config', async () => {
    const before = await probeGraph().invoke({}, { configurable: { scope: 'request-1' } });
    expect(before.seen[0]).toBeInstanceOf(RunTree);

    skipRootRunTrees();
    skipRootRunTrees();
    const after = await probeGraph().invoke({}, { configurable: { scope: 'request-2' } });
    expect(after.seen).toEqual([undefined, 'request-2']);
  });
});
