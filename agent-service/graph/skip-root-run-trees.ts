import { AsyncLocalStorageProviderSingleton } from '@langchain/core/singletons';

let skipping = false;

/**
 * Stops LangChain from building a LangSmith `RunTree` for every runnable it enters when nothing traces.
 *
 * LangGraph runs each node, edge and channel write through `runWithConfig`, which without a tracer still
 * constructs a disabled root `RunTree` (a uuid7, timestamps, environment reads) only to carry the config in
 * AsyncLocalStorage: about 10 per request, ~10% of the agent service's CPU (measured: 5.56 -> 5.00 ms per
 * request, bench line 2). With a LangSmith tracer configured, runs are still traced as before.
 *
 * What it gives up: LangGraph's ambient config inside a node (`getConfig()`, `interrupt()`, a runnable invoked
 * without passing the node's `config`). The graph's nodes take their config as an argument and pass what they
 * need (signal, scope) explicitly. Process-wide and idempotent.
 */
export function skipRootRunTrees(): void {
  if (skipping) {
    return;
  }
  skipping = true;
  const provider = AsyncLocalStorageProviderSingleton;
  const runWithConfig = provider.runWithConfig.bind(provider);
  provider.runWithConfig = <T>(config: unknown, callback: () => T, avoidCreatingRootRunTree?: boolean): T =>
    runWithConfig(config, callback, avoidCreatingRootRunTree ?? true);
}
