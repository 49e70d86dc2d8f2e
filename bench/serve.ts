/**
 * Child-process entry of the bench: `node dist/bench/serve.js llm-sim '{"latencyMs":0}'`,
 * `node dist/bench/serve.js chat-stub '{"latencyMs":500}'` (`chat-stub.ts`) or
 * `node dist/bench/serve.js agent-service` (environment as `loadgen agent-service` reads it). It starts the
 * service exactly as its command does, reports the URL over IPC and closes on SIGTERM, so each process of
 * the pipeline runs (and is profiled, with --cpu-prof) on its own as deployed.
 */
import { loadConfig, startAgentService } from '../agent-service/index.js';
import { startChatStub } from './chat-stub.js';
import { startLlmSim } from '../llm-sim/index.js';
import { createLogger } from '../shared/logger.js';

interface SimArgs {
  /** Fixed time of every call (to first token, then tokens at once); 0 answers at once. */
  latencyMs: number;
  seed?: number;
}

async function main(): Promise<void> {
  const [role, json] = process.argv.slice(2);
  let service: { url: string; close(): Promise<void> };
  if (role === 'llm-sim') {
    const args = JSON.parse(json ?? '{}') as SimArgs;
    service = await startLlmSim({
      seed: args.seed ?? 7,
      overrides: { allModels: { latency: { ttftMs: args.latencyMs, perTokenMs: 0 } } },
    });
  } else if (role === 'chat-stub') {
    service = await startChatStub({ latencyMs: (JSON.parse(json ?? '{}') as SimArgs).latencyMs });
  } else if (role === 'agent-service') {
    const config = loadConfig(process.env);
    const logger = createLogger({ level: config.logLevel, name: 'agent-service' });
    service = await startAgentService({ config, port: 0, logger });
  } else {
    throw new Error(`bench serve: unknown role "${role}" (llm-sim, chat-stub or agent-service)`);
  }
  let closing = false;
  process.on('SIGTERM', () => {
    if (closing) {
      return;
    }
    closing = true;
    // process.exit (not a natural end) so that --cpu-prof writes its profile even with sockets still open.
    void service.close().finally(() => process.exit(0));
  });
  process.send?.({ ready: service.url });
}

main().catch((err: unknown) => {
  process.send?.({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
