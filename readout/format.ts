/** Formatting shared by the text and HTML renderers and the criteria's display strings. */

export function percent(value: number | null | undefined, digits = 1, signed = false): string {
  if (value == null || !Number.isFinite(value)) {
    return 'n/a';
  }
  const text = `${(value * 100).toFixed(digits)}%`;
  return signed && value >= 0 ? `+${text}` : text.replace(/^-/, '−');
}

export function signedPercent(value: number | null | undefined, digits = 1): string {
  return percent(value, digits, true);
}

/**
 * A bound of an always-valid interval of a relative change: early on these are astronomically wide on the log
 * scale (+1,997,243,171.9% at 2 users), which says nothing more than "above +1000%".
 */
export function boundPercent(value: number): string {
  return value > 10 ? '>+1000%' : signedPercent(value);
}

export function usd(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) {
    return 'n/a';
  }
  const abs = Math.abs(value);
  const digits = abs === 0 ? 2 : abs < 0.01 ? 6 : abs < 1 ? 4 : 2;
  return `${value < 0 ? '−' : ''}$${abs.toFixed(digits)}`;
}

export function seconds(ms: number | null | undefined, digits = 2): string {
  if (ms == null || !Number.isFinite(ms)) {
    return 'n/a';
  }
  return `${(ms / 1000).toFixed(digits)} s`;
}

/**
 * Decimal places, from `digits` up to 6, at which `value × scale` rounds to the same side of `threshold ×
 * scale` as `value` lies, so a figure next to PASS/FAIL never reads as the other verdict (0.8996 against 90%
 * is "89.96%", not "90.0%").
 */
export function digitsAgainst(value: number | null, threshold: number, digits: number, scale = 1): number {
  if (value == null || !Number.isFinite(value)) {
    return digits;
  }
  const side = (a: number) => {
    const diff = a - threshold * scale;
    return Math.abs(diff) < 1e-9 * Math.max(1, Math.abs(a)) ? 0 : Math.sign(diff);
  };
  const truth = side(value * scale);
  for (let d = digits; d < 6; d++) {
    if (side(Number((value * scale).toFixed(d))) === truth) {
      return d;
    }
  }
  return 6;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** A p-value as it is reported: "p < 0.001" below that, else "p = 0.123". */
export function pValue(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** A probability as a percentage that never rounds to a certainty it is not. */
export function probability(p: number | null | undefined, digits = 1): string {
  if (p == null || !Number.isFinite(p)) {
    return 'n/a';
  }
  if (p > 0.999 && digits <= 1) {
    return '>99.9%';
  }
  if (p < 0.001 && digits <= 1) {
    return '<0.1%';
  }
  return percent(p, digits);
}
