/**
 * The producer as a library: `createRun(options, deps)` does what `loadgen run` does, for scripts.
 */
export {
  createRun,
  generateRunId,
  runMode,
  type RunDeps,
  type RunPhase,
  type RunResult,
} from './create-run.js';
export { OptionError, ProducerError } from './errors.js';
export { loadConfig, type ProducerConfig } from './config.js';
export {
  parseRunOptions,
  parseSegmentMix,
  RunOptionsSchema,
  type RunOptions,
  type RunOptionsInput,
  type SegmentMix,
} from './options.js';
export { formatPlan, type RunPlan, type CostEstimate } from './run-plan.js';
export { readQuerySet, writeQuerySet } from './query-set.js';
export { extractTopics, groundTopic, type Topic } from './topics.js';
export { buildUsers, checkSegmentMix, userForSegment } from './users.js';
export { enqueueJobs } from './enqueue.js';
