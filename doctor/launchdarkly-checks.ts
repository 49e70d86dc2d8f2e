import { randomUUID } from 'node:crypto';
import type { Experiment } from '../readout/index.js';
import { redactUrl } from '../shared/logger.js';
import { fail, ok, type CheckLine } from './check-line.js';

/** LaunchDarkly's events service, where the SDK posts analytics events unless LD_EVENTS_URI says otherwise. */
export const DEFAULT_EVENTS_URI = 'https://events.launchdarkly.com';

/** What the REST checks need of `LaunchDarklyRestClient`. */
export interface RestReader {
  get<T>(path: string, call?: { beta?: boolean }): Promise<T | undefined>;
}

interface TargetingRep {
  _version?: number;
  environments?: Record<
    string,
    { rules?: { _id?: string; clauses?: { op?: string; values?: unknown[] }[] }[] }
  >;
}

interface ExperimentRep {
  currentIteration?: {
    status?: string;
    flags?: Record<string, { targetingRule?: string; flagConfigVersion?: number }>;
  };
}

export interface RestCheckOptions {
  project: string;
  environment: string;
  /** Metric keys the experiments read (the five metrics). */
  metricKeys: string[];
  experiments: Experiment[];
}

/**
 * With an API token: the project, each metric and each experiment exist, and each experiment's current
 * iteration is running on the AI Config's current targeting: its `flags[flag].targetingRule` is the id of
 * the rule that serves its audience segment now, and its `flagConfigVersion` is the targeting's `_version`.
 */
export async function restLines(api: RestReader, options: RestCheckOptions): Promise<CheckLine[]> {
  const p = encodeURIComponent(options.project);
  const e = encodeURIComponent(options.environment);
  const bootstrap = `loadgen ld bootstrap --project ${options.project} --environment ${options.environment}`;
  if (!(await api.get(`/api/v2/projects/${p}`))) {
    return [
      fail(
        'ld-project',
        options.project,
        'does not exist, or LD_API_TOKEN cannot read it',
        `create it, then ${bootstrap}`,
      ),
    ];
  }
  const lines = [ok('ld-project', options.project, 'exists')];
  for (const key of options.metricKeys) {
    lines.push(
      (await api.get(`/api/v2/metrics/${p}/${encodeURIComponent(key)}`))
        ? ok('ld-metric', key, 'exists')
        : fail('ld-metric', key, 'does not exist', bootstrap),
    );
  }
  for (const exp of options.experiments) {
    const found = await api.get<ExperimentRep>(
      `/api/v2/projects/${p}/environments/${e}/experiments/${encodeURIComponent(exp.id)}`,
      { beta: true },
    );
    if (!found) {
      lines.push(fail('ld-experiment', exp.id, `does not exist in ${options.environment}`, bootstrap));
      continue;
    }
    const iteration = found.currentIteration;
    const start = `start (or restart) the experiment "${exp.name}" in ${options.environment} in the LaunchDarkly UI`;
    if (iteration?.status !== 'running') {
      lines.push(
        fail('ld-experiment', exp.id, `is ${iteration?.status ?? 'not started'}, not running`, start),
      );
      continue;
    }
    const targeting = await api.get<TargetingRep>(
      `/api/v2/projects/${p}/ai-configs/${encodeURIComponent(exp.flag)}/targeting`,
      { beta: true },
    );
    const segment = exp.audience?.segment;
    const rule = targeting?.environments?.[options.environment]?.rules?.find((r) =>
      (r.clauses ?? []).some(
        (c) => c.op === 'segmentMatch' && segment !== undefined && c.values?.includes(segment),
      ),
    );
    const flag = iteration.flags?.[exp.flag];
    const version = targeting?._version;
    if (!flag) {
      lines.push(fail('ld-experiment', exp.id, `its running iteration does not include ${exp.flag}`, start));
    } else if (rule?._id !== undefined && flag.targetingRule !== rule._id) {
      lines.push(
        fail(
          'ld-experiment',
          exp.id,
          `runs on rule ${flag.targetingRule ?? '(none)'}, but ${segment} is now served by rule ${rule._id}`,
          start,
        ),
      );
    } else if (
      version !== undefined &&
      flag.flagConfigVersion !== undefined &&
      flag.flagConfigVersion !== version
    ) {
      lines.push(
        fail(
          'ld-experiment',
          exp.id,
          `runs on targeting version ${flag.flagConfigVersion} of ${exp.flag}; the current one is ${version}`,
          start,
        ),
      );
    } else {
      lines.push(ok('ld-experiment', exp.id, `running on ${exp.flag} targeting version ${version ?? '?'}`));
    }
  }
  return lines;
}

/**
 * Posts an empty event payload where the SDK posts analytics events (`${eventsUri}/bulk`, event schema 4,
 * the SDK key as Authorization): LaunchDarkly accepts it and records nothing. Local mode without an events
 * URI sends no events, which is fine.
 */
export async function eventsLine(
  eventsUri: string | undefined,
  sdkKey: string | undefined,
): Promise<CheckLine> {
  if (!eventsUri && !sdkKey) {
    return ok(
      'events',
      'not sent',
      'local mode without LD_EVENTS_URI sends no events (results stay in Redis)',
    );
  }
  const base = (eventsUri ?? DEFAULT_EVENTS_URI).replace(/\/+$/, '');
  const url = `${base}/bulk`;
  const shown = redactUrl(base);
  const fix = eventsUri
    ? 'check LD_EVENTS_URI (the SDK posts to its /bulk path)'
    : 'check LD_SDK_KEY and that this host reaches events.launchdarkly.com';
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-launchdarkly-event-schema': '4',
        'x-launchdarkly-payload-id': randomUUID(),
        ...(sdkKey ? { authorization: sdkKey } : {}),
      },
      body: '[]',
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    return res.ok
      ? ok('events', shown, `accepts a post (HTTP ${res.status})`)
      : fail('events', shown, `POST /bulk answered HTTP ${res.status}`, fix);
  } catch (err) {
    return fail('events', shown, `POST /bulk failed: ${(err as Error).message}`, fix);
  }
}
