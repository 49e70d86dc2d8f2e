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

/**
 * Reads runs for the pages. Result records are write-once (one per job id), so a run whose record count has
 * not changed has the same records: the last read of a few runs is kept and reused while the pages poll.
 */
export class RunReader {
  private readonly cache = new Map<string, ResultRecord[]>();

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

  /** The run's state and every result record, or undefined for an unknown run. */
  async read(runId: string): Promise<{ state: RunState; records: ResultRecord[] } | undefined> {
    const [state, count] = await Promise.all([this.store.get(runId), this.store.resultCount(runId)]);
    if (!state) {
      return undefined;
    }
    const cached = this.cache.get(runId);
    if (cached && cached.length === count) {
      return { state, records: cached };
    }
    // Redis hands the hash back in no particular order; seq order makes examples and exports stable.
    const records = (await this.store.allResults(runId)).sort((a, b) => a.seq - b.seq);
    this.cache.delete(runId);
    this.cache.set(runId, records);
    for (const key of this.cache.keys()) {
      if (this.cache.size <= this.cachedRuns) {
        break;
      }
      this.cache.delete(key);
    }
    return { state, records };
  }

  async summary(runId: string): Promise<RunSummary | undefined> {
    const run = await this.read(runId);
    return run && summarizeRun(run.state, run.records);
  }
}
