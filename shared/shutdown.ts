import { coerceError } from './errors.js';
import type { Logger } from './logger.js';

type Closer = () => Promise<unknown> | unknown;

export interface ResourceStackOptions {
  logger?: Logger;
  /** Milliseconds that all closers together may take; after that `close()` resolves anyway, with an error logged. */
  deadlineMs?: number;
  /** Names the stack in its log lines, e.g. "worker". */
  label?: string;
}

/**
 * The resources a process or a component opened, closed in reverse order of opening: what was opened last (the
 * HTTP server, the BullMQ worker) closes first, what everything depends on (Redis) last. `close()` runs each
 * closer once, even when an earlier one threw (logged), under one deadline, and returns the same promise to
 * every caller. A start-up that fails half way closes what it had opened with the same `close()`.
 */
export class ResourceStack {
  private readonly closers: { name: string; fn: Closer }[] = [];
  private closing: Promise<void> | undefined;

  constructor(protected readonly options: ResourceStackOptions = {}) {}

  /** Registers `fn` to run on `close()`, before everything registered earlier. */
  defer(name: string, fn: Closer): void {
    if (this.closing) {
      // Opened while closing (a start-up racing a signal): close it too, at once.
      void this.runOne({ name, fn });
      return;
    }
    this.closers.push({ name, fn });
  }

  /** Opens a resource and registers its closer in one step; returns the resource. */
  async use<T>(name: string, open: () => Promise<T> | T, close: (resource: T) => Promise<unknown> | unknown) {
    const resource = await open();
    this.defer(name, () => close(resource));
    return resource;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Runs every closer once, last registered first; later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const deadlineMs = this.options.deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const all = (async () => {
      for (let entry = this.closers.pop(); entry; entry = this.closers.pop()) {
        await this.runOne(entry);
      }
    })();
    if (deadlineMs === undefined) {
      return all;
    }
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
      timer.unref();
    });
    const result = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (result === 'deadline') {
      this.options.logger?.error(
        { deadlineMs, pending: this.closers.map((c) => c.name), stack: this.options.label },
        'shutdown deadline passed',
      );
    }
  }

  private async runOne({ name, fn }: { name: string; fn: Closer }): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.options.logger?.error(
        { err: coerceError(err), handler: name, stack: this.options.label },
        'shutdown handler failed',
      );
    }
  }
}

export interface ShutdownOptions extends ResourceStackOptions {
  /** Defaults to 30 s. */
  deadlineMs?: number;
  /** Called when a signal's shutdown is over; defaults to `process.exit`. Tests replace it. */
  exit?: (code: number) => void;
  /**
   * Whether the first signal exits (code 0) once the stack is closed. `false` leaves the exit to the caller
   * (`start` exits with its run's code); a second signal exits 130 either way.
   */
  exitAfterSignal?: boolean;
}

/**
 * A process's resource stack that the first SIGTERM/SIGINT closes (last opened first, each closer even if an
 * earlier one threw, under one deadline) before the process exits; a second signal exits at once (130).
 */
export class ShutdownManager extends ResourceStack {
  private readonly exit: (code: number) => void;
  private signalled = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.signalled) {
      this.options.logger?.warn({ signal }, 'second signal: exiting now');
      this.exit(130);
      return;
    }
    this.signalled = true;
    this.options.logger?.info({ signal }, 'shutting down');
    void this.shutdown().then(() => {
      if (this.shutdownOptions.exitAfterSignal !== false) {
        this.stopListening();
        this.exit(0);
      }
    });
  };

  constructor(private readonly shutdownOptions: ShutdownOptions = {}) {
    super({ ...shutdownOptions, deadlineMs: shutdownOptions.deadlineMs ?? 30_000 });
    this.exit = shutdownOptions.exit ?? ((code) => process.exit(code));
  }

  /** Same as `defer`: runs `fn` on shutdown, before everything registered earlier. */
  register(name: string, fn: Closer): void {
    this.defer(name, fn);
  }

  /** Listens for SIGTERM and SIGINT until `stopListening()` (a second signal must still reach us). */
  listen(): this {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    return this;
  }

  stopListening(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }

  /** Closes the stack; later calls return the same promise. */
  shutdown(): Promise<void> {
    return this.close();
  }
}
