import type { Logger } from './logger.js';

type Handler = () => Promise<void> | void;

export interface ShutdownOptions {
  logger?: Logger;
  /** Milliseconds that all handlers together may take before the process exits anyway. */
  deadlineMs?: number;
  /** Called when shutdown is over; defaults to `process.exit`. Tests replace it. */
  exit?: (code: number) => void;
}

/**
 * One registry of named cleanup handlers per process. The first SIGTERM/SIGINT runs them in the order they
 * were registered (HTTP server, workers, queues, LaunchDarkly, Redis), each even if an earlier one threw,
 * under one deadline; a second signal exits at once.
 */
export class ShutdownManager {
  private readonly handlers: { name: string; fn: Handler }[] = [];
  private running: Promise<void> | undefined;
  private readonly deadlineMs: number;
  private readonly exit: (code: number) => void;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.running) {
      this.options.logger?.warn({ signal }, 'second signal: exiting now');
      this.exit(130);
      return;
    }
    this.options.logger?.info({ signal }, 'shutting down');
    void this.shutdown().then(() => this.exit(0));
  };

  constructor(private readonly options: ShutdownOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  register(name: string, fn: Handler): void {
    this.handlers.push({ name, fn });
  }

  /** Listens for SIGTERM and SIGINT. */
  listen(): this {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    return this;
  }

  /** Runs every handler once; later calls return the same promise. */
  shutdown(): Promise<void> {
    this.running ??= this.runAll();
    return this.running;
  }

  private async runAll(): Promise<void> {
    const deadline = new Promise<'deadline'>((resolve) =>
      setTimeout(() => resolve('deadline'), this.deadlineMs).unref(),
    );
    const all = (async () => {
      for (const { name, fn } of this.handlers) {
        try {
          await fn();
        } catch (err) {
          this.options.logger?.error({ err, handler: name }, 'shutdown handler failed');
        }
      }
    })();
    if ((await Promise.race([all, deadline])) === 'deadline') {
      this.options.logger?.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed');
    }
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }
}
