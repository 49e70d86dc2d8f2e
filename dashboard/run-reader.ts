import type { ResultRecord } from '../shared/jobs.js';
import type { RunState, RunStore } from '../shared/runs.js';
import { displayStatus, summarizeRun, type RunDisplayStatus, type RunSummary } from './run-summary.js';

/** One row of the runs list (`GET /api/runs`): cheap to read, so a long list stays fast. */
export interface RunListItem {
  runId: string;
  createdAt: number;
  mode: RunState['meta']['mode'];
  status: RunDisplayStatus;
  stopReason?: string;
  recorded: number;
  total: number;
  spentUsd: number;
  budgetUsd: number | null;
}

/** The records of a run as last read: by job id, and in seq order as the pages get them. */
interface HeldRun {
  byId: Map<string, ResultRecord>;
  records: ResultRecord[];
}

/**
 * Reads runs for the pages. Result records are written once per job id, except a failed one, which a manual
 * retry removes (the count drops) and records anew (it rises). So the last read of a few runs is kept while
 * their record count stays the same; when it changes, a poll fetches only the records of job ids it does not
 * hold, and the failed ones again, not the whole run (a 100,000-job run is ~100 MB of JSON).
 */
export class RunReader {
  private readonly cache = new Map<string, HeldRun>();

  constructor(
    private readonly store: RunStore,
    private readonly cachedRuns = 4,
  ) {}

  async list(limit = 100): Promise<RunListItem[]> {
    const ids = await this.store.list(limit);
    const rows = await Promise.all(
      ids.map(async (runId) => {
        const [state, recorded] = await Promise.all([this.store.get(runId), this.store.resultCount(runId)]);
        if (!state) {
          return undefined;
        }
        const item: RunListItem = {
          runId,
          createdAt: state.meta.createdAt,
          mode: state.meta.mode,
          status: displayStatus(state, recorded),
          recorded,
          total: state.meta.counts.queries,
          spentUsd: state.spendUsd,
          budgetUsd: state.meta.budgetUsd,
        };
        if (state.stopReason) {
          item.stopReason = state.stopReason;
        }
        return item;
      }),
    );
    return rows.filter((row) => row !== undefined);
  }

  /** The run's state and every result record (in seq order), or undefined for an unknown run. */
  async read(runId: string): Promise<{ state: RunState; records: ResultRecord[] } | undefined> {
    const [state, count] = await Promise.all([this.store.get(runId), this.store.resultCount(runId)]);
    if (!state) {
      return undefined;
    }
    const held = this.cache.get(runId);
    const run = held?.byId.size === count ? held : await this.update(runId, held);
    this.cache.delete(runId);
    this.cache.set(runId, run);
    for (const key of this.cache.keys()) {
      if (this.cache.size <= this.cachedRuns) {
        break;
      }
      this.cache.delete(key);
    }
    return { state, records: run.records };
  }

  /** `held` brought up to date: the records of new job ids, and failed ones read again (or removed). */
  private async update(runId: string, held: HeldRun | undefined): Promise<HeldRun> {
    const byId = new Map(held?.byId);
    const ids = new Set(await this.store.resultIds(runId));
    for (const [jobId, record] of byId) {
      if (!ids.has(jobId) || record.status !== 'completed') {
        byId.delete(jobId);
      }
    }
    const wanted = [...ids].filter((jobId) => !byId.has(jobId));
    for (const record of await this.store.resultsOf(runId, wanted)) {
      byId.set(record.jobId, record);
    }
    // Redis hands the hash back in no particular order; seq order makes examples and exports stable.
    return { byId, records: [...byId.values()].sort((a, b) => a.seq - b.seq) };
  }

  async summary(runId: string): Promise<RunSummary | undefined> {
    const run = await this.read(runId);
    return run && summarizeRun(run.state, run.records);
  }
}
