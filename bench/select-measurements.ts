/** The measurements of `npm run bench`, numbered as in the issue ((2) and (3) were replaced by issue 21). */
export const MEASUREMENTS: Record<number, string> = {
  1: 'ceiling',
  2: 'harness CPU per job',
  3: 'efficiency at 500 ms stub latency',
  4: 'enqueue',
  5: 'worker memory',
  6: 'readout',
  7: 'latency fidelity p50',
  8: 'latency fidelity p99',
  9: 'peer (autocannon)',
};

/** Lines measured together in one run: asking for one of them runs (and prints) them all. */
export const GROUPS: readonly (readonly number[])[] = [[3, 7, 8, 9]];

/**
 * Which measurements `--only` asks for (all when absent). (3), (7), (8) and (9) come from one run at 500 ms
 * stub latency, so asking for any of them gives all four; an unknown number is an error naming the option.
 */
export function selectMeasurements(only: string | undefined): Set<number> {
  if (only === undefined) {
    return new Set(Object.keys(MEASUREMENTS).map(Number));
  }
  const ids = only.split(',').map((s) => Number(s.trim()));
  if (ids.length === 0 || ids.some((id) => !(id in MEASUREMENTS))) {
    throw new Error(`--only: give measurement numbers from 1 to 9, e.g. --only 2,3 (got "${only}")`);
  }
  const selected = new Set(ids);
  for (const group of GROUPS) {
    if (group.some((id) => selected.has(id))) {
      group.forEach((id) => selected.add(id));
    }
  }
  return selected;
}
