import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../shared/logger.js';
import { ShutdownManager } from '../shared/shutdown.js';
import { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, loadConfig } from './config.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535');
  }
  return port;
}

/** Registers `loadgen dashboard`: Bull Board, the run pages and the run API, behind basic auth. */
export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description(
      'Serve the dashboard: Bull Board for the query queue (/queues), run pages with progress, throughput, ' +
        'failures and spend (/), the experiment readout (/runs/<id>/report) and the JSON API (/api/runs), behind ' +
        'basic auth (DASHBOARD_USER / DASHBOARD_PASSWORD; a non-loopback --host needs a password)',
    )
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_DASHBOARD_PORT)
    .option(
      '--host <host>',
      'interface to listen on (0.0.0.0 for all; needs DASHBOARD_PASSWORD)',
      DEFAULT_DASHBOARD_HOST,
    )
    .action(async (options: { port: number; host: string }) => {
      const config = loadConfig(process.env);
      const logger = createLogger({ level: config.logLevel, name: 'dashboard' });
      // Loaded here, not at the top: other `loadgen` processes (workers) need not carry Bull Board.
      const { startDashboard } = await import('./index.js');
      const dashboard = await startDashboard({
        config,
        port: options.port,
        host: options.host,
        logger,
      });
      const shutdown = new ShutdownManager({ logger }).listen();
      shutdown.register('dashboard', () => dashboard.close());
    });
}
