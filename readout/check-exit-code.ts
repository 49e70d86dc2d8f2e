import type { Readout } from './build-readout.js';

/** Exit code of `report --check` when an experiment fails, is futile or invalid (1 stays "an error"). */
export const EXIT_CRITERIA_NOT_MET = 3;
/** Exit code of `report --check` when no experiment fails but one is inconclusive (not enough data yet). */
export const EXIT_INCONCLUSIVE = 4;

/**
 * The exit code of `--check` (`report` and `start`): {@link EXIT_CRITERIA_NOT_MET} when an experiment fails, is
 * futile or invalid, else {@link EXIT_INCONCLUSIVE} when one is inconclusive, else 0.
 */
export function checkExitCode(readout: Pick<Readout, 'experiments'>): number {
  const states = new Set(readout.experiments.map((exp) => exp.state));
  if (states.has('fails') || states.has('futile') || states.has('invalid')) {
    return EXIT_CRITERIA_NOT_MET;
  }
  return states.has('inconclusive') ? EXIT_INCONCLUSIVE : 0;
}
