/**
 * The experiment readout as a library: what `loadgen report`, `start`, the producer's stop-when-decided, the
 * dashboard and scripts call. Other folders import it through this file only.
 */
export { buildReadout, isDecided, summarizeRun } from './build-readout.js';
export type { BuildReadoutInput, ExperimentReadout, Readout, RunSummary } from './build-readout.js';
export { budgetOutcome, formatBudgetOutcome, type BudgetOutcome } from './budget-outcome.js';
export { checkExitCode, EXIT_CRITERIA_NOT_MET, EXIT_INCONCLUSIVE } from './check-exit-code.js';
export { renderText } from './render-text.js';
export { renderHtml } from './render-html.js';
export { loadExperiments, selectExperiments } from './experiments.js';
export type { Criterion, Experiment, MetricKey } from './experiments.js';
export { decide } from './criteria.js';
export type { CriterionResult, Decision, DecisionFigures, Evidence, ReadoutState } from './criteria.js';
export { planExperiment, usersPerArm } from './experiment-plan.js';
export type { Plan, PlanInput } from './experiment-plan.js';
export { failureReason, groupFailures, type FailureGroup } from './failures.js';
export {
  DEFAULT_DECIDE_EVERY,
  DEFAULT_DRAIN_MS,
  everyExperimentDecided,
  followRun,
  formatDecidedStop,
  StopWhenDecidedSchema,
  type FollowRunOutcome,
} from './follow-run.js';
export { nearestRank } from './quantile-bootstrap.js';
export { readResultsJsonl } from './read-jsonl.js';
export {
  DEFAULT_RUN_SHAPE,
  defaultNeeds,
  expectedSizes,
  formatSizes,
  queriesFor,
  sizesFromJobs,
  type ExperimentNeed,
  type ExperimentSize,
} from './run-sizing.js';
export { syntheticRecords } from './synthetic-records.js';
export type { SyntheticArm, SyntheticOptions } from './synthetic-records.js';
export { ReadoutError } from './readout-error.js';
