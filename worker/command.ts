import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../shared/logger.js';
import { ShutdownManager } from '../shared/shutdown.js';
import { loadConfig } from './config.js';

function positiveInt(name: string) {
  return (value: string): string => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer`);
    }
    return value;
  };
}

function positiveNumber(value: string): string {
  if (!(Number(value) > 0)) {
    throw new InvalidArgumentError('--max-rps must be a positive number');
  }
  return value;
}

/** Registers `loadgen worker`: options map onto the worker's environment variables (options win). */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Process query jobs: chat with the agent service, judge the answer as the user, report feedback and cost ' +
        'to LaunchDarkly, record the result. Scale out by running more (same Redis). Environment: see README "Worker".',
    )
    .option(
      '-c, --concurrency <n>',
      'jobs this process runs at once (WORKER_CONCURRENCY)',
      positiveInt('--concurrency'),
      '10',
    )
    .option(
      '--agent-service-url <url>',
      'agent service base URL (AGENT_SERVICE_URL)',
      'http://127.0.0.1:8000',
    )
    .option(
      '--timeout <seconds>',
      'deadline of one chat request, up to 2000 (CHAT_TIMEOUT_SECONDS)',
      positiveInt('--timeout'),
      '120',
    )
    .option(
      '--max-rps <n>',
      'queue-wide limit on jobs started per second, over all workers (WORKER_MAX_RPS)',
      positiveNumber,
    )
    .option('--judge-model <model>', 'judge LLM (JUDGE_MODEL)', 'claude-haiku-4-5')
    .option('--metrics-port <port>', 'Prometheus /metrics port, or off (WORKER_METRICS_PORT)', '9464')
    .action(async (options: Record<string, string | undefined>, command: Command) => {
      // An option given on the command line wins over the environment; a default does not.
      const fromCli = (name: string) =>
        command.getOptionValueSource(name) === 'cli' ? options[name] : undefined;
      const env = { ...process.env };
      const mapping: Record<string, string> = {
        concurrency: 'WORKER_CONCURRENCY',
        agentServiceUrl: 'AGENT_SERVICE_URL',
        timeout: 'CHAT_TIMEOUT_SECONDS',
        maxRps: 'WORKER_MAX_RPS',
        judgeModel: 'JUDGE_MODEL',
        metricsPort: 'WORKER_METRICS_PORT',
      };
      for (const [option, variable] of Object.entries(mapping)) {
        const value = fromCli(option);
        if (value !== undefined) {
          env[variable] = value;
        }
      }
      const config = loadConfig(env);
      const logger = createLogger({ level: config.logLevel, name: 'worker' });
      const shutdown = new ShutdownManager({
        logger,
        deadlineMs: (config.workerShutdownSeconds + 15) * 1000,
      });
      // Loaded here, not at `loadgen` start-up: other commands do not need BullMQ, the SDKs or prom-client.
      const { startWorker } = await import('./index.js');
      shutdown.listen();
      const handle = await startWorker({ config, logger });
      shutdown.register('worker', () => handle.close());
    });
}
