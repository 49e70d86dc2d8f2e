import type { ResultRecord } from '../shared/result-record.js';
import type { RunState, RunStore } from '../shared/runs.js';
import { displayStatus, runOverview, type RunDisplayStatus, type RunOverview } from './run-overview.js';

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

/** The records of a run as last read, and how far into its result log that read went. */
interface HeldRun {
  byId: Map<string, ResultRecord>;
  records: ResultRecord[];
  logged: number;
}

/**
 * Reads runs for the pages. The last read of a few runs is kept: a poll reads the run's result log from
 * where the last one stopped and fetches only the records logged since (a job whose failed record a retry
 * replaced is logged again), not the whole run (a 100,000-job run is ~100 MB of JSON).
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
    const state = await this.store.get(runId);
    if (!state) {
      return undefined;
    }
    const held = this.cache.get(runId);
    const run = held ? await this.update(runId, held) : await this.readWhole(runId);
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

  private async readWhole(runId: string): Promise<HeldRun> {
    // The log's length first: a record logged during the read is fetched again by the next poll, not lost.
    const logged = await this.store.resultLogLength(runId);
    const records = await this.store.allResults(runId);
    return heldRun(records, logged);
  }

  private async update(runId: string, run: HeldRun): Promise<HeldRun> {
    const ids = await this.store.recordedSince(runId, run.logged);
    if (ids.length === 0) {
      return run;
    }
    for (const record of await this.store.resultsOf(runId, [...new Set(ids)])) {
      run.byId.set(record.jobId, record);
    }
    return heldRun(run.byId.values(), run.logged + ids.length);
  }

  async summary(runId: string): Promise<RunOverview | undefined> {
    const run = await this.read(runId);
    return run && runOverview(run.state, run.records);
  }
}

/** Records held in seq order: Redis hands the hash back in no particular order, seq makes pages stable. */
function heldRun(records: Iterable<ResultRecord>, logged: number): HeldRun {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  return { byId: new Map(sorted.map((r) => [r.jobId, r])), records: sorted, logged };
}
