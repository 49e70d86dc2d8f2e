import type { CallOptions, LaunchDarklyRestClient, Response } from './rest-client.js';

export type Outcome = 'created' | 'updated' | 'unchanged' | 'planned';

export interface StepRecord {
  outcome: Outcome;
  kind: string;
  key: string;
  detail?: string;
}

/**
 * Reads and writes one LaunchDarkly project for the bootstrap, and records what it did. In a dry run,
 * reads still go to the API (when a token is given) but writes are only printed; without a client every
 * read finds nothing, so the plan is the one for a fresh project.
 */
export class ProjectWriter {
  readonly steps: StepRecord[] = [];

  constructor(
    private readonly api: LaunchDarklyRestClient | undefined,
    readonly dryRun: boolean,
    private readonly out: (line: string) => void,
  ) {}

  read<T>(path: string, call: CallOptions = {}): Promise<T | undefined> {
    return this.api ? this.api.get<T>(path, call) : Promise.resolve(undefined);
  }

  list<T>(path: string, call: CallOptions = {}): Promise<T[]> {
    return this.api ? this.api.list<T>(path, call) : Promise.resolve([]);
  }

  /** A write call; in a dry run it is printed (method, path, body) and not made. */
  async write<T>(
    method: 'POST' | 'PATCH',
    path: string,
    body: unknown,
    call: CallOptions = {},
  ): Promise<Response<T> | undefined> {
    if (this.dryRun || !this.api) {
      this.out(`  would ${method} ${path}\n    ${JSON.stringify(body)}`);
      return undefined;
    }
    return this.api.request<T>(method, path, body, call);
  }

  /**
   * POST a new resource. A 409 means it exists after all (created by someone else since we listed, or
   * hidden from the list): `update` then brings it in line, so a conflict is never an error or a duplicate.
   * Returns whether it was created (or, in a dry run, would be).
   */
  async create(
    kind: string,
    key: string,
    path: string,
    body: unknown,
    call: CallOptions,
    update: () => Promise<void>,
  ): Promise<boolean> {
    const res = await this.write('POST', path, body, call);
    if (res?.status === 409) {
      this.out(`  ${kind} ${key} already exists (409): updating it instead`);
      await update();
      return false;
    }
    this.record(res ? 'created' : 'planned', kind, key);
    return true;
  }

  /** PATCH an existing resource and record it as updated (planned in a dry run). */
  async update(kind: string, key: string, path: string, body: unknown, call: CallOptions, detail?: string) {
    const res = await this.write('PATCH', path, body, call);
    this.record(res ? 'updated' : 'planned', kind, key, detail);
  }

  record(outcome: Outcome, kind: string, key: string, detail?: string): void {
    this.steps.push({ outcome, kind, key, ...(detail ? { detail } : {}) });
    const label = { created: 'created', updated: 'updated', unchanged: 'ok', planned: 'plan' }[outcome];
    this.out(`${label.padEnd(8)} ${kind} ${key}${detail ? `: ${detail}` : ''}`);
  }
}
