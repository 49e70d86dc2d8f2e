/** The measurements of `npm run bench`, numbered as in the issue. */
export const MEASUREMENTS: Record<number, string> = {
  1: 'ceiling',
  2: 'pipeline throughput',
  3: 'efficiency at fixed latency',
  4: 'enqueue',
  5: 'worker memory',
  6: 'readout',
};

/**
 * Which measurements `--only` asks for (all when absent). (2) is a ratio to (1), so asking for 2 runs 1 as
 * well (about 2 s); an unknown number is an error naming the option.
 */
export function selectMeasurements(only: string | undefined): Set<number> {
  if (only === undefined) {
    return new Set(Object.keys(MEASUREMENTS).map(Number));
  }
  const ids = only.split(',').map((s) => Number(s.trim()));
  if (ids.length === 0 || ids.some((id) => !(id in MEASUREMENTS))) {
    throw new Error(`--only: give measurement numbers from 1 to 6, e.g. --only 2,3 (got "${only}")`);
  }
  const selected = new Set(ids);
  if (selected.has(2)) {
    selected.add(1);
  }
  return selected;
}
