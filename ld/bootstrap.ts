import { isDeepStrictEqual } from 'node:util';
import type { Metric } from '../shared/catalog.js';
import type { Manifest } from '../shared/manifest.js';
import type { PriceTable } from '../shared/pricing.js';
import type { Experiment } from '../readout/index.js';
import {
  metricBody,
  modelConfigs,
  segmentRules,
  toolSchema,
  variationBody,
  type MetricBody,
  type VariationBody,
} from './desired-state.js';
import { ProjectWriter, type StepRecord } from './project-writer.js';
import type { LaunchDarklyRestClient } from './rest-client.js';
import { reconcileExperiments, reconcileTargeting } from './targeting.js';

export interface BootstrapOptions {
  /** The REST client; may be absent only for a dry run (which then plans for a fresh project). */
  api: LaunchDarklyRestClient | undefined;
  project: string;
  environment: string;
  manifest: Manifest;
  /** The catalog's experiments (checked against the manifest) and metrics. */
  experiments: Experiment[];
  metrics: Metric[];
  prices: PriceTable;
  dryRun?: boolean;
  /** Where progress lines go (the command prints them). */
  out: (line: string) => void;
}

export interface BootstrapResult {
  steps: StepRecord[];
  /** What the REST API cannot do, for a person to finish in the LaunchDarkly UI. */
  manual: string[];
}

/**
 * Brings a LaunchDarkly project in line with the AI Config manifest and the experiments catalog: tools, model
 * configs, segments and their rules, the catalog's metrics, AI Configs and variations, targeting, and the
 * catalog's experiments. Every resource is read first and only created when missing or patched when
 * different, so running it again changes nothing and duplicates nothing.
 */
export async function bootstrapProject(options: BootstrapOptions): Promise<BootstrapResult> {
  const { project, environment, manifest, experiments } = options;
  const writer = new ProjectWriter(options.api, options.dryRun ?? false, options.out);
  const manual: string[] = [];
  const p = encodeURIComponent(project);
  const e = encodeURIComponent(environment);

  // Lists of a missing project answer 404, which reads as "nothing there yet": check the project itself
  // first, so a mistyped key fails at once instead of planning a fresh project.
  if (options.api && !(await writer.read(`/api/v2/projects/${p}`))) {
    throw new Error(
      `LaunchDarkly project "${project}" does not exist (or LD_API_TOKEN cannot read it): create it first`,
    );
  }
  options.out(`AI tools`);
  await reconcileTools(writer, p, manifest);
  options.out(`Model configs`);
  await reconcileModelConfigs(writer, p, manifest, options.prices, manual);
  options.out(`Segments (${environment})`);
  await reconcileSegments(writer, p, e, manifest);
  options.out(`Metrics`);
  await reconcileMetrics(writer, p, options.metrics.map(metricBody));
  options.out(`AI Configs and variations`);
  await reconcileConfigs(writer, p, manifest, manual);
  options.out(`Targeting (${environment})`);
  await reconcileTargeting(writer, { p, environment, manifest, experiments, manual });
  options.out(`Experiments (${environment})`);
  await reconcileExperiments(writer, { p, environment, manifest, experiments, manual });
  return { steps: writer.steps, manual };
}

async function reconcileTools(writer: ProjectWriter, p: string, manifest: Manifest): Promise<void> {
  const existing = byKey(
    await writer.list<{ key: string; description?: string; schema?: unknown }>(
      `/api/v2/projects/${p}/ai-tools`,
    ),
  );
  for (const [key, tool] of Object.entries(manifest.tools)) {
    const body = { key, description: tool.description, schema: toolSchema(tool.description) };
    const path = `/api/v2/projects/${p}/ai-tools/${encodeURIComponent(key)}`;
    const update = () =>
      writer.update('tool', key, path, { description: body.description, schema: body.schema }, {});
    const found = existing.get(key);
    if (!found) {
      await writer.create('tool', key, `/api/v2/projects/${p}/ai-tools`, body, {}, update);
    } else if (found.description !== body.description || !isDeepStrictEqual(found.schema, body.schema)) {
      await update();
    } else {
      writer.record('unchanged', 'tool', key);
    }
  }
}

async function reconcileModelConfigs(
  writer: ProjectWriter,
  p: string,
  manifest: Manifest,
  prices: PriceTable,
  manual: string[],
): Promise<void> {
  const path = `/api/v2/projects/${p}/ai-configs/model-configs`;
  const existing = byKey(await writer.list<{ key: string; id?: string }>(path));
  for (const body of modelConfigs(manifest, prices)) {
    const found = existing.get(body.key);
    if (!found) {
      await writer.create('model config', body.key, path, body, {}, async () => {
        writer.record('unchanged', 'model config', body.key, 'exists');
      });
    } else {
      if (found.id !== undefined && found.id !== body.id) {
        manual.push(
          `Model config ${body.key} points at model "${found.id}", not "${body.id}": fix it in the UI.`,
        );
      }
      writer.record('unchanged', 'model config', body.key);
    }
  }
}

interface SegmentRep {
  key: string;
  name?: string;
  description?: string;
  rules?: {
    clauses?: { attribute: string; op: string; values: unknown[]; negate?: boolean; contextKind?: string }[];
  }[];
}

async function reconcileSegments(
  writer: ProjectWriter,
  p: string,
  e: string,
  manifest: Manifest,
): Promise<void> {
  const base = `/api/v2/segments/${p}/${e}`;
  const existing = byKey(await writer.list<SegmentRep>(base));
  for (const [key, segment] of Object.entries(manifest.segments)) {
    const rules = segmentRules(manifest, key);
    const path = `${base}/${encodeURIComponent(key)}`;
    const found = existing.get(key);
    const patch = (current: SegmentRep | undefined) => {
      const ops: PatchOp[] = [];
      if (current?.name !== segment.name) {
        ops.push(setOp(current, 'name', segment.name));
      }
      if ((current?.description ?? '') !== segment.description) {
        ops.push(setOp(current, 'description', segment.description));
      }
      if (!sameSegmentRules(current?.rules, rules)) {
        ops.push(setOp(current, 'rules', rules));
      }
      return ops;
    };
    // patchSegment takes a JSON Patch with a comment (PatchWithComment), unlike patchMetric's bare array.
    const update = (ops: PatchOp[], detail?: string) =>
      writer.update('segment', key, path, { patch: ops, comment: COMMENT }, { patch: 'json' }, detail);
    if (!found) {
      const body = { key, name: segment.name, description: segment.description, tags: ['loadgen'] };
      const created = await writer.create('segment', key, base, body, {}, async () => {
        const ops = patch(await writer.read<SegmentRep>(path));
        if (ops.length > 0) {
          await update(ops);
        } else {
          writer.record('unchanged', 'segment', key);
        }
      });
      if (created) {
        // The create body cannot carry rules: a new segment gets them in a second call.
        await update([{ op: 'replace', path: '/rules', value: rules }], 'rules');
      }
      continue;
    }
    const ops = patch(found);
    if (ops.length > 0) {
      await update(ops);
    } else {
      writer.record('unchanged', 'segment', key);
    }
  }
}

function sameSegmentRules(current: SegmentRep['rules'], desired: ReturnType<typeof segmentRules>): boolean {
  const norm = (rules: SegmentRep['rules']) =>
    (rules ?? []).map((r) =>
      (r.clauses ?? []).map((c) => ({
        attribute: c.attribute,
        op: c.op,
        values: c.values.map(String),
        negate: c.negate ?? false,
      })),
    );
  return isDeepStrictEqual(norm(current), norm(desired));
}

const METRIC_FIELDS = [
  'name',
  'eventKey',
  'isNumeric',
  'successCriteria',
  'unit',
  'unitAggregationType',
  'analysisType',
  'percentileValue',
] as const;

async function reconcileMetrics(writer: ProjectWriter, p: string, metrics: MetricBody[]): Promise<void> {
  const base = `/api/v2/metrics/${p}`;
  const existing = byKey(await writer.list<Partial<MetricBody> & { key: string }>(base));
  for (const metric of metrics) {
    const path = `${base}/${encodeURIComponent(metric.key)}`;
    const patch = async (current: Partial<MetricBody> | undefined) => {
      const ops = METRIC_FIELDS.filter((f) => metric[f] !== undefined && current?.[f] !== metric[f]).map(
        (f) => setOp(current, f, metric[f]),
      );
      if (ops.length > 0) {
        await writer.update(
          'metric',
          metric.key,
          path,
          ops,
          { patch: 'json' },
          ops.map((o) => o.path).join(' '),
        );
      } else {
        writer.record('unchanged', 'metric', metric.key);
      }
    };
    const found = existing.get(metric.key);
    if (!found) {
      await writer.create('metric', metric.key, base, metric, {}, async () => patch(await writer.read(path)));
    } else {
      await patch(found);
    }
  }
}

interface VariationRep {
  key: string;
  instructions?: string;
  model?: { modelName?: string; parameters?: Record<string, unknown>; custom?: Record<string, unknown> };
  modelConfigKey?: string;
  tools?: { key: string }[];
}

interface ConfigRep {
  key: string;
  name?: string;
  mode?: string;
  variations?: VariationRep[];
}

async function reconcileConfigs(writer: ProjectWriter, p: string, manifest: Manifest, manual: string[]) {
  const base = `/api/v2/projects/${p}/ai-configs`;
  const listed = byKey(await writer.list<ConfigRep>(base));
  for (const [key, config] of Object.entries(manifest.configs)) {
    const path = `${base}/${encodeURIComponent(key)}`;
    let current = listed.has(key) ? await writer.read<ConfigRep>(path) : undefined;
    if (!current) {
      const body = {
        key,
        name: config.name,
        mode: config.mode,
        description: `${config.name} (loadgen manifest)`,
        tags: ['loadgen'],
      };
      await writer.create('AI Config', key, base, body, {}, async () => {
        current = await writer.read<ConfigRep>(path);
        await checkConfig(writer, path, key, config.name, config.mode, current);
      });
    } else {
      await checkConfig(writer, path, key, config.name, config.mode, current);
    }
    const variations = byKey(current?.variations ?? []);
    for (const [variationKey, variation] of Object.entries(config.variations)) {
      const body = variationBody(variationKey, variation);
      const vpath = `${path}/variations/${encodeURIComponent(variationKey)}`;
      const { key: _key, ...changes } = body;
      const update = () => writer.update('variation', `${key}/${variationKey}`, vpath, changes, {});
      const found = variations.get(variationKey);
      if (!found) {
        await writer.create('variation', `${key}/${variationKey}`, `${path}/variations`, body, {}, update);
      } else if (!sameVariation(found, body)) {
        await update();
      } else {
        writer.record('unchanged', 'variation', `${key}/${variationKey}`);
      }
    }
    const extra = [...variations.keys()].filter((v) => !(v in config.variations));
    if (extra.length > 0) {
      manual.push(
        `${key} has variations the manifest does not: ${extra.join(', ')}. Archive them in the UI if unused.`,
      );
    }
  }
}

async function checkConfig(
  writer: ProjectWriter,
  path: string,
  key: string,
  name: string,
  mode: string,
  current: ConfigRep | undefined,
): Promise<void> {
  if (current?.mode && current.mode !== mode) {
    throw new Error(
      `AI Config ${key} exists in ${current.mode} mode; the manifest needs ${mode} (the API cannot change a mode)`,
    );
  }
  if (current && current.name !== name) {
    await writer.update('AI Config', key, path, { name }, {}, 'name');
  } else {
    writer.record('unchanged', 'AI Config', key);
  }
}

function sameVariation(found: VariationRep, body: VariationBody): boolean {
  const tools = (found.tools ?? []).map((t) => t.key).sort();
  return (
    found.instructions === body.instructions &&
    found.model?.modelName === body.model.modelName &&
    isDeepStrictEqual(found.model?.parameters ?? {}, body.model.parameters) &&
    isDeepStrictEqual(found.model?.custom ?? {}, body.model.custom) &&
    found.modelConfigKey === body.modelConfigKey &&
    isDeepStrictEqual(tools, [...body.toolKeys].sort())
  );
}

interface PatchOp {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

const COMMENT = 'loadgen ld bootstrap';

/**
 * A JSON Patch operation that sets one top-level member. RFC 6902 lets `replace` act only on a member that
 * exists, so a member the stored resource lacks (a metric without `unit`, a segment without `description`)
 * is set with `add`.
 */
function setOp(current: object | undefined, field: string, value: unknown): PatchOp {
  const present = current !== undefined && Object.hasOwn(current, field);
  return { op: present ? 'replace' : 'add', path: `/${field}`, value };
}

function byKey<T extends { key: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((item) => [item.key, item]));
}
