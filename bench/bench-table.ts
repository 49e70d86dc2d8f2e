/** What a line's figure must satisfy: at least (`>=`) or at most (`<=`) `value`. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

/** One measurement as it comes back from its runner. */
export interface BenchLine {
  /** 1-6, the numbering. */
  id: number;
  name: string;
  /** The figure compared with the target; null when the measurement could not be made. */
  value: number | null;
  /** Unit of `value`, e.g. `jobs/s`, `ratio`, `MB`, `s`. */
  unit: string;
  /** Absent for a line that is a reference (the ceiling), not a goal. */
  target?: Target;
  /** Supporting figures (raw rates, counts, durations), printed under the line. */
  details?: Record<string, number | string>;
  /** Why the measurement failed, when it did. */
  error?: string;
}

export type Verdict = 'PASS' | 'FAIL' | 'ERROR' | 'INFO';

export interface JudgedLine extends BenchLine {
  verdict: Verdict;
}

/** PASS/FAIL against the target; ERROR when there is no figure; INFO for a line without a target. */
export function judge(line: BenchLine): JudgedLine {
  if (line.value === null || !Number.isFinite(line.value) || line.error !== undefined) {
    return { ...line, verdict: 'ERROR' };
  }
  if (!line.target) {
    return { ...line, verdict: 'INFO' };
  }
  const ok = line.target.op === '>=' ? line.value >= line.target.value : line.value <= line.target.value;
  return { ...line, verdict: ok ? 'PASS' : 'FAIL' };
}

/** A figure with sensible precision: 3 significant digits below 100, thousands separators above. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs >= 100) {
    return Math.round(value).toLocaleString('en-US');
  }
  if (abs === 0) {
    return '0';
  }
  return Number(value.toPrecision(3)).toString();
}

function figure(line: JudgedLine): string {
  if (line.value === null || line.verdict === 'ERROR') {
    return '-';
  }
  return line.unit === 'ratio' ? formatNumber(line.value) : `${formatNumber(line.value)} ${line.unit}`;
}

function target(line: BenchLine): string {
  if (!line.target) {
    return '(reference)';
  }
  const unit = line.unit === 'ratio' ? '' : ` ${line.unit}`;
  return `${line.target.op} ${formatNumber(line.target.value)}${unit}`;
}

const DETAILS_WIDTH = 110;

/** `items` joined with ", " into lines of at most `width` characters (a longer item gets a line of its own). */
function wrap(items: string[], width: number): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.length - 1;
    if (last >= 0 && (lines[last] as string).length + 2 + item.length <= width) {
      lines[last] += `, ${item}`;
    } else {
      lines.push(item);
    }
  }
  return lines;
}

/** The table `npm run bench` prints: one row per line, its details indented below it. */
export function formatTable(lines: readonly JudgedLine[], elapsedSeconds?: number): string {
  const header = ['#', 'measurement', 'figure', 'target', 'result'];
  const rows = lines.map((l) => [String(l.id), l.name, figure(l), target(l), l.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [render(header), render(widths.map((w) => '-'.repeat(w)))];
  lines.forEach((line, i) => {
    out.push(render(rows[i] ?? []));
    const details = Object.entries(line.details ?? {}).map(
      ([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`,
    );
    out.push(...wrap(details, DETAILS_WIDTH).map((d) => `     ${d}`));
    if (line.error) {
      out.push(`     error: ${line.error}`);
    }
  });
  const counts = (v: Verdict) => lines.filter((l) => l.verdict === v).length;
  const summary = [
    `${counts('PASS')} passed`,
    `${counts('FAIL')} failed`,
    ...(counts('ERROR') > 0 ? [`${counts('ERROR')} not measured`] : []),
    ...(elapsedSeconds !== undefined ? [`in ${formatNumber(elapsedSeconds)} s`] : []),
  ];
  out.push('', summary.join(', '));
  return `${out.join('\n')}\n`;
}

/** `--json`: the judged lines plus the machine the run was on, one JSON document. */
export function toJson(
  lines: readonly JudgedLine[],
  meta: { elapsedSeconds: number; cpus: number; node: string },
): string {
  return `${JSON.stringify({ ...meta, lines }, null, 2)}\n`;
}
