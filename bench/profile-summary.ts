import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface CostShare {
  /** An npm package, `node:<module>`, a folder of this project, or a V8 bucket like `(garbage collector)`. */
  name: string;
  ms: number;
  share: number;
}

/** Where a frame's time goes: its npm package, Node built-in module, project folder, or V8 bucket. */
export function costCentre(callFrame: { functionName: string; url: string }): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(callFrame.url);
  if (pkg?.[1]) {
    return pkg[1];
  }
  if (callFrame.url.startsWith('node:')) {
    return `node:${callFrame.url.slice(5).split('/')[0] ?? ''}`;
  }
  const project = /\/dist\/([^/]+)\//.exec(callFrame.url);
  if (project?.[1]) {
    return project[1];
  }
  return callFrame.functionName || '(native)';
}

/** Self time per cost centre, largest first; `(idle)` is left out of the shares (it is not a cost). */
export function summarizeProfile(profile: CpuProfile, top = 12): CostShare[] {
  const centreOf = new Map(profile.nodes.map((n) => [n.id, costCentre(n.callFrame)]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const centre = centreOf.get(id) ?? '(unknown)';
    totals.set(centre, (totals.get(centre) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
}

/** A few lines per profile under `dir` (recursively): busy time and its largest cost centres. */
export function describeProfiles(dir: string): string {
  const lines: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    if (!entry.endsWith('.cpuprofile')) {
      continue;
    }
    const shares = summarizeProfile(JSON.parse(readFileSync(join(dir, entry), 'utf8')) as CpuProfile, 8);
    lines.push(`${entry}: ${shares.map((s) => `${s.name} ${(s.share * 100).toFixed(1)}%`).join(', ')}`);
  }
  return lines.join('\n');
}
