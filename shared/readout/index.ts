// The experiment readout's public surface: what `loadgen report` and the dashboard call.
export { buildReadout, isDecided } from './build-readout.js';
export type { BuildReadoutInput, ExperimentReadout, Readout, RunSummary } from './build-readout.js';
export { renderText } from './render-text.js';
export { renderHtml } from './render-html.js';
export { loadExperiments, selectExperiments } from './experiments.js';
export type { Criterion, Experiment, MetricKey } from './experiments.js';
export { decide } from './criteria.js';
export type { CriterionResult, Decision, DecisionFigures, Evidence, ReadoutState } from './criteria.js';
export { planExperiment, usersPerArm } from './plan.js';
export type { Plan, PlanInput } from './plan.js';
export { readResultsJsonl } from './read-jsonl.js';
export { syntheticRecords } from './synthetic-records.js';
export type { SyntheticArm, SyntheticOptions } from './synthetic-records.js';
export { ReadoutError } from './readout-error.js';
