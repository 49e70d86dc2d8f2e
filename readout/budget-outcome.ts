import type { ResultRecord } from '../shared/result-record.js';
import { usd } from './format.js';

/** How a run with a budget ended against it. */
export interface BudgetOutcome {
  budgetUsd: number;
  /** The run's spend (its counter in Redis; the records' request plus judge cost without one), USD. */
  spendUsd: number;
  /** How far the spend went past the budget, USD; 0 within budget. */
  overUsd: number;
  /**
   * Jobs that finished, having cost something, once the records' running spend (in the order they finished)
   * had passed the budget, the one that crossed it included; 0 within budget.
   */
  jobsOver: number;
  withinBudget: boolean;
}

/**
 * The run's spend against its budget: by how many dollars and how many jobs it went past it. Null without a
 * budget. `spendUsd` is the run's spend counter, when there is one.
 */
export function budgetOutcome(
  records: readonly ResultRecord[],
  budgetUsd: number | null | undefined,
  spendUsd?: number | null,
): BudgetOutcome | null {
  if (budgetUsd == null) {
    return null;
  }
  const costs = [...records]
    .sort((a, b) => a.finishedAt - b.finishedAt)
    .map((r) => (r.requestCostUsd ?? 0) + r.harnessCostUsd);
  const spend = spendUsd ?? costs.reduce((sum, c) => sum + c, 0);
  let running = 0;
  let jobsOver = 0;
  for (const cost of costs) {
    running += cost;
    if (running > budgetUsd && cost > 0) {
      jobsOver++;
    }
  }
  const withinBudget = spend <= budgetUsd;
  return {
    budgetUsd,
    spendUsd: spend,
    overUsd: withinBudget ? 0 : spend - budgetUsd,
    jobsOver: withinBudget ? 0 : jobsOver,
    withinBudget,
  };
}

/** "within budget ($1.98 of $2.00)" or "$0.6236 over the $2.00 budget (35 jobs finished past it)". */
export function formatBudgetOutcome(outcome: BudgetOutcome): string {
  if (outcome.withinBudget) {
    return `within budget (${usd(outcome.spendUsd)} of ${usd(outcome.budgetUsd)})`;
  }
  const jobs = outcome.jobsOver === 1 ? '1 job' : `${outcome.jobsOver} jobs`;
  return `${usd(outcome.overUsd)} over the ${usd(outcome.budgetUsd)} budget (${jobs} finished past it)`;
}
