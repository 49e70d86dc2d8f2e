import type { Command } from 'commander';
import { createLogger } from '../shared/logger.js';
import { ShutdownManager } from '../shared/shutdown.js';
import { loadConfig, parseSimOptions, SIM_DEFAULTS } from './config.js';
import { startLlmSim } from './index.js';

/** Registers `loadgen sim`: the local LLM simulator as a long-running HTTP server. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'Run llm-sim: a local server speaking the OpenAI (/v1/chat/completions, /v1/embeddings, /v1/models) and ' +
        'Anthropic (/v1/messages) protocols, answering from model profiles; point LLM_SIM_URL at it',
    )
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', SIM_DEFAULTS.port)
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', SIM_DEFAULTS.host)
    .option('--profile <file>', 'model profile file (YAML or JSON)', SIM_DEFAULTS.profile)
    .option('--seed <n>', 'random seed: same seed and requests give the same answers', SIM_DEFAULTS.seed)
    .option('--zero-latency', 'answer at once (no time to first token or per token)', false)
    .action(async (raw: Record<string, unknown>) => {
      const config = loadConfig(process.env);
      const options = parseSimOptions(raw);
      const logger = createLogger({ level: config.logLevel, name: 'llm-sim' });
      const sim = await startLlmSim({
        port: options.port,
        host: options.host,
        seed: options.seed,
        profile: options.profile,
        overrides: options.zeroLatency ? { allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } } : undefined,
      });
      const shutdown = new ShutdownManager({ logger }).listen();
      shutdown.register('llm-sim', () => sim.close());
      logger.info(
        {
          url: sim.url,
          host: options.host,
          profile: options.profile,
          seed: options.seed,
          zeroLatency: options.zeroLatency,
        },
        'llm-sim listening (simulated LLMs: OpenAI at /v1, Anthropic at /v1/messages)',
      );
    });
}
