/** Small inline-SVG charts for the HTML report: no script, no CDN, readable when printed. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const COLORS = ['#4e79a7', '#f28e2b'];
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';

export interface IntervalRow {
  label: string;
  value: number;
  lower: number;
  upper: number;
  /** Colour index: 0 control, 1 treatment. */
  series: number;
}

/** Horizontal dot-and-whisker chart: one row per estimate with its interval. */
export function intervalChart(rows: IntervalRow[], format: (v: number) => string, title: string): string {
  const width = 620;
  const left = 250;
  const right = 70;
  const rowHeight = 26;
  const height = 30 + rows.length * rowHeight + 20;
  const max = Math.max(1e-12, ...rows.map((r) => r.upper)) * 1.05;
  const min = Math.min(0, ...rows.map((r) => r.lower));
  const x = (v: number) => left + ((v - min) / (max - min)) * (width - left - right);
  const body = rows
    .map((r, i) => {
      const y = 30 + i * rowHeight + rowHeight / 2;
      const color = COLORS[r.series] ?? '#666';
      return (
        `<text x="${left - 8}" y="${y + 4}" text-anchor="end" ${FONT}>${escapeHtml(r.label)}</text>` +
        `<line x1="${x(r.lower)}" x2="${x(r.upper)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"/>` +
        `<line x1="${x(r.lower)}" x2="${x(r.lower)}" y1="${y - 5}" y2="${y + 5}" stroke="${color}" stroke-width="2"/>` +
        `<line x1="${x(r.upper)}" x2="${x(r.upper)}" y1="${y - 5}" y2="${y + 5}" stroke="${color}" stroke-width="2"/>` +
        `<circle cx="${x(r.value)}" cy="${y}" r="4.5" fill="${color}"><title>${escapeHtml(
          `${r.label}: ${format(r.value)} [${format(r.lower)}, ${format(r.upper)}]`,
        )}</title></circle>` +
        `<text x="${width - right + 6}" y="${y + 4}" ${FONT}>${escapeHtml(format(r.value))}</text>`
      );
    })
    .join('');
  const axisY = 30 + rows.length * rowHeight;
  const axis =
    `<line x1="${left}" x2="${width - right}" y1="${axisY}" y2="${axisY}" stroke="#999"/>` +
    `<text x="${left}" y="${axisY + 14}" ${FONT} fill="#666">${escapeHtml(format(min))}</text>` +
    `<text x="${width - right}" y="${axisY + 14}" text-anchor="end" ${FONT} fill="#666">${escapeHtml(format(max))}</text>`;
  return svg(width, height, title, body + axis);
}

export interface HistogramSeries {
  label: string;
  counts: number[];
  /** A vertical marker (e.g. the p95), in the edges' unit. */
  marker?: number;
}

/** Overlaid step histograms sharing bin edges, with per-series markers and an optional threshold line. */
export function histogramChart(
  edges: number[],
  series: HistogramSeries[],
  format: (v: number) => string,
  title: string,
  threshold?: { value: number; label: string },
): string {
  const width = 620;
  const height = 220;
  const [left, right, top, bottom] = [40, 20, 30, 40];
  const lo = edges[0] ?? 0;
  const hi = Math.max(edges[edges.length - 1] ?? 1, threshold?.value ?? 0);
  const x = (v: number) => left + ((v - lo) / (hi - lo || 1)) * (width - left - right);
  const shares = series.map((s) => {
    const total = s.counts.reduce((a, b) => a + b, 0) || 1;
    return s.counts.map((c) => c / total);
  });
  const peak = Math.max(1e-12, ...shares.flat());
  const y = (share: number) => top + (1 - share / peak) * (height - top - bottom);
  let body = '';
  shares.forEach((share, si) => {
    const color = COLORS[si] ?? '#666';
    let d = `M${x(lo)},${y(0)}`;
    share.forEach((s, i) => {
      d += ` L${x(edges[i] as number)},${y(s)} L${x(edges[i + 1] as number)},${y(s)}`;
    });
    d += ` L${x(edges[edges.length - 1] as number)},${y(0)}`;
    body += `<path d="${d}" fill="${color}" fill-opacity="0.18" stroke="${color}" stroke-width="1.5"/>`;
    const marker = series[si]?.marker;
    if (marker != null) {
      body +=
        `<line x1="${x(marker)}" x2="${x(marker)}" y1="${top}" y2="${height - bottom}" stroke="${color}" stroke-dasharray="4 3"/>` +
        `<text x="${x(marker) + (x(marker) > width / 2 ? -3 : 3)}" y="${top + 12 + si * 14}" text-anchor="${
          x(marker) > width / 2 ? 'end' : 'start'
        }" ${FONT} fill="${color}">${escapeHtml(`${series[si]?.label} p95 ${format(marker)}`)}</text>`;
    }
  });
  if (threshold) {
    body +=
      `<line x1="${x(threshold.value)}" x2="${x(threshold.value)}" y1="${top}" y2="${height - bottom}" stroke="#c0392b" stroke-width="1.5"/>` +
      `<text x="${x(threshold.value) - 3}" y="${height - bottom - 6}" text-anchor="end" ${FONT} fill="#c0392b">${escapeHtml(
        threshold.label,
      )}</text>`;
  }
  body +=
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#999"/>` +
    `<text x="${left}" y="${height - bottom + 16}" ${FONT} fill="#666">${escapeHtml(format(lo))}</text>` +
    `<text x="${width - right}" y="${height - bottom + 16}" text-anchor="end" ${FONT} fill="#666">${escapeHtml(format(hi))}</text>` +
    series
      .map(
        (s, si) =>
          `<rect x="${left + si * 150}" y="${height - 14}" width="10" height="10" fill="${COLORS[si] ?? '#666'}"/>` +
          `<text x="${left + si * 150 + 14}" y="${height - 5}" ${FONT}>${escapeHtml(s.label)}</text>`,
      )
      .join('');
  return svg(width, height, title, body);
}

function svg(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(
      title,
    )}"><title>${escapeHtml(title)}</title>` +
    `<text x="0" y="16" ${FONT} font-weight="600">${escapeHtml(title)}</text>${body}</svg>`
  );
}
