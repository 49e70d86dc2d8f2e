import type { Command } from 'commander';
import { ConfigError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { ShutdownManager } from '../shared/shutdown.js';
import { loadConfig } from './config.js';

/** Default port (the tutorial's; the dashboard has 3000); the worker's AGENT_SERVICE_URL defaults to http://127.0.0.1:8000. */
export const DEFAULT_PORT = '8000';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--port: expected an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

/** Registers `loadgen agent-service`: the multi-agent system under test, as a long-running HTTP server. */
export function registerAgentServiceCommand(program: Command): void {
  program
    .command('agent-service')
    .description(
      'Run the agent service (system under test): POST /chat through supervisor -> security -> support agents, ' +
        'each configured by its LaunchDarkly AI Config; GET /health, /ready, /metrics. Local mode (no LD_SDK_KEY ' +
        'or LD_FLAGS_FILE) evaluates a flag file generated from data/manifest.yaml',
    )
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', DEFAULT_PORT)
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .action(async (options: { port: string; host: string }) => {
      const port = parsePort(options.port);
      const config = loadConfig(process.env);
      const logger = createLogger({ level: config.logLevel, name: 'agent-service' });
      const shutdown = new ShutdownManager({ logger }).listen();
      // Loaded here, not at the top: every `loadgen` process (a worker too) would otherwise carry the graph.
      const { startAgentService } = await import('./index.js');
      const service = await startAgentService({ config, port, host: options.host, logger });
      shutdown.register('agent-service', () => service.close());
    });
}
