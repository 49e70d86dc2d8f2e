/** One line of the doctor's (or the smoke test's) table: what was checked, and a fix when it failed. */
export interface CheckLine {
  /** The kind of check, e.g. `redis`, `model`, `ai-config`. */
  check: string;
  /** What it was about, e.g. `anthropic claude-opus-4` or `support-agent / other-paid`. */
  subject: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export const ok = (check: string, subject: string, detail: string): CheckLine => ({
  check,
  subject,
  ok: true,
  detail,
});

export const fail = (check: string, subject: string, detail: string, fix: string): CheckLine => ({
  check,
  subject,
  ok: false,
  detail,
  fix,
});

/** The lines as one table: status, check, subject, detail, and each failure's fix on the line below it. */
export function formatTable(lines: CheckLine[]): string {
  const width = (pick: (l: CheckLine) => string) => Math.max(0, ...lines.map((l) => pick(l).length));
  const checkWidth = width((l) => l.check);
  const subjectWidth = width((l) => l.subject);
  return lines
    .map((l) => {
      const row = `${l.ok ? 'ok  ' : 'FAIL'}  ${l.check.padEnd(checkWidth)}  ${l.subject.padEnd(subjectWidth)}  ${l.detail}`;
      return l.fix ? `${row}\n${' '.repeat(8 + checkWidth + subjectWidth)}fix: ${l.fix}` : row;
    })
    .join('\n');
}
