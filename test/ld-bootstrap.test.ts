import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { registerLdCommands } from '../ld/command.js';
import { loadConfig } from '../ld/config.js';
import { loadMetrics } from '../shared/catalog.js';
import { LaunchDarklyApiError, LaunchDarklyRestClient } from '../ld/rest-client.js';
import { loadManifest } from '../shared/manifest.js';
import { FakeLaunchDarklyApi } from './ld-fake-api.js';

const TOKEN = 'api-0b5e7c1d-secret-token-do-not-print';
const PROJECT = 'rl-hub';
const manifest = loadManifest();

async function bootstrap(api: FakeLaunchDarklyApi, extra: string[] = [], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const program = new Command('loadgen').exitOverride();
  registerLdCommands(program, {
    env: { LD_API_TOKEN: TOKEN, LD_API_URL: api.url, LOG_LEVEL: 'trace', ...env },
    stdout,
    stderr,
  });
  let error: Error | undefined;
  try {
    await program.parseAsync(['ld', 'bootstrap', '--project', PROJECT, ...extra], { from: 'user' });
  } catch (e) {
    error = e as Error;
  }
  return { out, err, error };
}

/** The writes a fresh project needs, in order, from the manifest. */
function freshSequence(): string[] {
  const p = `/api/v2/projects/${PROJECT}`;
  const seq: string[] = [];
  Object.keys(manifest.tools).forEach(() => seq.push(`POST ${p}/ai-tools`));
  const models = new Set<string>();
  Object.values(manifest.configs).forEach((c) =>
    Object.values(c.variations).forEach((v) => models.add(`${v.provider}.${v.model.name}`)),
  );
  models.forEach(() => seq.push(`POST ${p}/ai-configs/model-configs`));
  for (const key of Object.keys(manifest.segments)) {
    seq.push(
      `POST /api/v2/segments/${PROJECT}/production`,
      `PATCH /api/v2/segments/${PROJECT}/production/${key}`,
    );
  }
  loadMetrics().forEach(() => seq.push(`POST /api/v2/metrics/${PROJECT}`));
  for (const [key, config] of Object.entries(manifest.configs)) {
    seq.push(`POST ${p}/ai-configs`);
    Object.keys(config.variations).forEach(() => seq.push(`POST ${p}/ai-configs/${key}/variations`));
  }
  Object.keys(manifest.configs).forEach((key) => seq.push(`PATCH ${p}/ai-configs/${key}/targeting`));
  seq.push(`POST ${p}/environments/production/experiments`, `POST ${p}/environments/production/experiments`);
  return seq;
}

describe('loadgen ld bootstrap against a local server that answers like the LaunchDarkly REST API', () => {
  let api: FakeLaunchDarklyApi;
  beforeEach(async () => {
    api = await FakeLaunchDarklyApi.start(TOKEN, PROJECT);
  });
  afterEach(async () => {
    await api.close();
    // Every request the client made, and every answer the stand-in gave, kept to LaunchDarkly's spec.
    expect(api.violations).toEqual([]);
  });

  it('creates everything on a fresh project in dependency order, with version headers and the token only in Authorization', async () => {
    const { out, error } = await bootstrap(api);
    expect(error).toBeUndefined();
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual(freshSequence());
    expect(api.requests.every((r) => r.status < 400)).toBe(true);
    // Each call is an operation of LaunchDarkly's spec, checked against it (the after-each hook checks none broke it).
    expect(api.requests.filter((r) => r.operationId === undefined)).toEqual([]);
    // The spec (v22) marks experiments as beta; AI Configs, segments and metrics take the stable version.
    for (const r of api.requests) {
      const beta = r.path.includes('/experiments');
      expect(r.headers['ld-api-version'], r.path).toBe(beta ? 'beta' : '20240415');
    }
    const kinds = new Set(
      api.requests.map((r) => `${r.method} ${/experiments|segments|metrics/.exec(r.path)}`),
    );
    // The header is checked on experiments, segments and metrics too, reads and writes alike.
    expect([...kinds]).toEqual(
      expect.arrayContaining(['GET experiments', 'POST experiments', 'PATCH segments', 'POST metrics']),
    );

    const support = api.configs.get('support-agent')!;
    const opus = support.variations.find((v) => v.key === 'claude-opus-treatment')!;
    expect(opus).toMatchObject({
      instructions: manifest.configs['support-agent']!.variations['claude-opus-treatment']!.instructions,
      modelConfigKey: 'anthropic.claude-opus-5-5',
      model: { modelName: 'claude-opus-5-5', custom: { max_tool_calls: 5 } },
    });
    // Tools as LaunchDarkly serves them: objects the AI SDK hands to the agent service.
    const served = (opus.model as { parameters: { tools: { type: string; name: string }[] } }).parameters
      .tools;
    expect(served).toHaveLength(5);
    expect(served[0]).toMatchObject({ type: 'function', name: 'search_v1' });
    expect((opus.tools as { key: string }[]).map((t) => t.key)).toContain('semantic_scholar');

    const env = support.targeting.production!;
    const names = ['disabled', ...support.variations.map((v) => v.key)];
    expect(env.rules.map((r) => (r.clauses[0] as { values: string[] }).values[0])).toEqual([
      'eu-free',
      'eu-paid',
      'other-free',
      'other-paid',
    ]);
    const split = env.rules[3]!.rollout!;
    expect(split.variations.map((v) => [names[v.variation], v.weight])).toEqual([
      ['other-paid', 50_000],
      ['claude-opus-treatment', 50_000],
    ]);
    expect(names[env.fallthrough.variation]).toBe('international-standard');
    expect(api.segments.get('other-paid')!.rules).toEqual([
      {
        _id: expect.any(String),
        clauses: [
          expect.objectContaining({ attribute: 'country', op: 'in', negate: true }),
          expect.objectContaining({ attribute: 'plan', values: ['paid'], negate: false }),
        ],
      },
    ]);
    expect(api.metrics.get('user_latency')).toMatchObject({
      eventKey: '$ld:ai:duration:total',
      analysisType: 'percentile',
      percentileValue: 95,
    });

    const iteration = api.experiments.get('premium-model-value')!.currentIteration as unknown as {
      flags: Record<string, { targetingRule: string }>;
      treatments: { baseline: boolean }[];
      metrics: unknown[];
    };
    expect(iteration.flags['support-agent']!.targetingRule).toBe(env.rules[3]!._id);
    expect(iteration.treatments.map((t) => t.baseline)).toEqual([true, false]);
    expect(iteration.metrics).toHaveLength(5);
    expect(api.experiments.has('security-level')).toBe(true);

    const posts = freshSequence().filter((c) => c.startsWith('POST')).length;
    const patches = freshSequence().length - posts;
    expect(out).toContain(`${posts} created, ${patches} updated, 0 unchanged`);
    expect(out).toContain('Still to do in the LaunchDarkly UI:');
    expect(out).toContain('Start the experiment "Security Level"');
  });

  it('makes no creating call and duplicates nothing on a second run, following every page of each list', async () => {
    await bootstrap(api);
    const counts = () => [api.tools.size, api.segments.size, api.metrics.size, api.experiments.size];
    const before = counts();
    const variations = api.configs.get('support-agent')!.variations.length;
    api.requests.length = 0;

    const { out, error } = await bootstrap(api);
    expect(error).toBeUndefined();
    expect(api.writes()).toEqual([]);
    expect(counts()).toEqual(before);
    expect(api.configs.get('support-agent')!.variations).toHaveLength(variations);
    expect(out).toMatch(/0 created, 0 updated, \d+ unchanged/);
    // Five metrics at two per page: three pages, reached through _links.next.
    const metricPages = api.requests.filter((r) => r.path === `/api/v2/metrics/${PROJECT}`);
    expect(metricPages.map((r) => r.query.get('offset'))).toEqual(['0', '2', '4']);
  });

  it('treats a 409 on create as "exists" and updates instead of duplicating', async () => {
    await bootstrap(api);
    const segment = api.segments.get('eu-free')!;
    segment.rules = [];
    api.hideFromLists('segment', 'eu-free');
    api.requests.length = 0;

    const { out, error } = await bootstrap(api);
    expect(error).toBeUndefined();
    const segmentWrites = api.writes().filter((r) => r.path.includes('/segments/'));
    expect(segmentWrites.map((r) => [r.method, r.status])).toEqual([
      ['POST', 409],
      ['PATCH', 200],
    ]);
    expect(api.creates()).toEqual([]);
    expect(api.segments.get('eu-free')!.rules).toHaveLength(1);
    expect(out).toContain('segment eu-free already exists (409): updating it instead');
  });

  it('patches only what drifted', async () => {
    await bootstrap(api);
    const variation = api.configs.get('security-agent')!.variations.find((v) => v.key === 'enhanced')!;
    variation.instructions = 'edited by hand';
    api.requests.length = 0;

    await bootstrap(api);
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /api/v2/projects/${PROJECT}/ai-configs/security-agent/variations/enhanced`,
    ]);
    expect(variation.instructions).toContain('You enforce strict privacy.');
  });

  it('replaces drifted rules where no experiment uses them, and refuses where a running one does (rule ids kept)', async () => {
    await bootstrap(api);
    api.experiments.get('premium-model-value')!.currentIteration!.status = 'running';
    const targeting = (key: string) => api.configs.get(key)!.targeting.production!;
    targeting('supervisor-agent').rules.push({
      _id: 'hand-made',
      clauses: [],
      trackEvents: false,
      variation: 1,
    });
    const support = targeting('support-agent');
    support.rules[0]!.variation = support.fallthrough.variation; // eu-free now served by hand
    const ids = support.rules.map((r) => r._id);
    api.requests.length = 0;

    const { error } = await bootstrap(api);
    expect(error?.message).toMatch(
      /rules of support-agent in production differ .* experiment "Premium Model Value" \(premium-model-value\)/,
    );
    const patched = api.writes().map((r) => r.path.split('/').at(-2));
    expect(patched).toEqual(['supervisor-agent']);
    expect(targeting('supervisor-agent').rules).toEqual([]);
    expect(support.rules.map((r) => r._id)).toEqual(ids);
  });

  it('refuses to replace a rule that only a draft iteration uses, which the list shows with expand=draftIteration', async () => {
    await bootstrap(api);
    const experiment = api.experiments.get('security-level')!;
    experiment.draftIteration = experiment.currentIteration;
    delete experiment.currentIteration;
    const security = api.configs.get('security-agent')!.targeting.production!;
    const [a, b] = security.rules[0]!.rollout!.variations;
    [a!.weight, b!.weight] = [40_000, 60_000]; // reweighted by hand: the rule differs
    const ids = security.rules.map((r) => r._id);
    api.requests.length = 0;

    const { error } = await bootstrap(api);
    expect(error?.message).toMatch(
      /rules of security-agent in production differ .* "Security Level" \(security-level\)/,
    );
    const lists = api.requests.filter((r) => r.operationId === 'getExperiments');
    expect(lists[0]!.query.get('expand')).toBe('draftIteration');
    expect(api.writes().filter((r) => r.path.includes('/security-agent/'))).toEqual([]);
    expect(security.rules.map((r) => r._id)).toEqual(ids);
  });

  it("creates experiments with the environment's targeting _version as flagConfigVersion", async () => {
    await bootstrap(api);
    const support = api.configs.get('support-agent')!;
    // Changes made elsewhere moved the version on; the top-level _version differs from the environment's.
    support.targeting.production!._version = 7;
    api.experiments.clear();
    api.requests.length = 0;

    expect((await bootstrap(api)).error).toBeUndefined();
    const flags = (key: string) =>
      api.experiments.get(key)!.currentIteration!.flags as Record<string, { flagConfigVersion: number }>;
    expect(flags('premium-model-value')['support-agent']!.flagConfigVersion).toBe(7);
    expect(support._version).not.toBe(7);
    const security = api.configs.get('security-agent')!.targeting.production!;
    expect(flags('security-level')['security-agent']!.flagConfigVersion).toBe(security._version);
  });

  it('stops, naming the field, when targeting rules come back with only the documented clauses and trackEvents', async () => {
    api.ruleShape = 'documented';
    const { error } = await bootstrap(api);
    expect(error?.message).toMatch(
      /targeting of security-agent in production: environments\.production\.rules\[0\] has no _id, which an experiment needs as its ruleId/,
    );
    expect(api.experiments.size).toBe(0);
  });

  it('stops, naming the fields, when a rule has an _id but neither variation nor rollout', async () => {
    await bootstrap(api);
    const rule = api.configs.get('support-agent')!.targeting.production!.rules[1]!;
    delete rule.variation;
    const { error } = await bootstrap(api);
    expect(error?.message).toMatch(
      /environments\.production\.rules\[1\] has neither variation nor rollout\.variations/,
    );
  });

  it('updates a metric with JSON Patch add for a field it lacks and replace for one it has', async () => {
    await bootstrap(api);
    const metric = api.metrics.get('user_latency')!;
    delete metric.unit;
    metric.percentileValue = 90;
    api.requests.length = 0;

    expect((await bootstrap(api)).error).toBeUndefined();
    const [patch] = api.writes();
    expect(patch).toMatchObject({ operationId: 'patchMetric', status: 200 });
    expect(patch!.body).toEqual([
      { op: 'add', path: '/unit', value: 'ms' },
      { op: 'replace', path: '/percentileValue', value: 95 },
    ]);
    expect(api.metrics.get('user_latency')).toMatchObject({ unit: 'ms', percentileValue: 95 });
  });

  it('retries a 429 after the rate-limit reset and finishes', async () => {
    api.rateLimitNext(3);
    const { out, error } = await bootstrap(api);
    expect(error).toBeUndefined();
    const limited = api.requests.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    // The same call was made again and succeeded.
    const retried = api.requests[3]!;
    expect(`${retried.method} ${retried.path}`).toBe(`${limited[0]!.method} ${limited[0]!.path}`);
    expect(retried.status).toBe(200);
    expect(out).toMatch(/429 on GET .*: retry 1 in/);
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual(freshSequence());
  });

  it('retries a call that gets no answer within LD_API_TIMEOUT_MS and finishes', async () => {
    api.stallNext(1);
    const { out, error } = await bootstrap(api, [], { LD_API_TIMEOUT_MS: '200' });
    expect(error).toBeUndefined();
    const [stalled, retried] = api.requests;
    expect(stalled!.status).toBe(0);
    expect(`${retried!.method} ${retried!.path} ${retried!.status}`).toBe(`GET ${stalled!.path} 200`);
    expect(out).toMatch(/timeout after 0.2 s on GET .*: retry 1 in/);
    expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual(freshSequence());
  });

  it('never prints the token: not in output, trace logs, or errors', async () => {
    const ok = await bootstrap(api, ['--dry-run']);
    const run = await bootstrap(api);
    const otherToken = 'api-wrong-token-also-secret';
    const failed = await bootstrap(api, [], { LD_API_TOKEN: otherToken });
    expect(failed.error?.message).toMatch(/answered 401/);
    for (const text of [ok.out, ok.err, run.out, run.err]) {
      expect(text).not.toContain(TOKEN);
    }
    expect(run.err).toContain('LaunchDarkly API call'); // trace logging was on
    for (const text of [failed.out, failed.err, failed.error?.message ?? '', failed.error?.stack ?? '']) {
      expect(text).not.toContain(otherToken);
    }
  });

  it('fails on a project that does not exist, before any write, and reports nothing as created', async () => {
    for (const extra of [[], ['--dry-run']]) {
      const { out, error } = await bootstrap(api, ['--project', 'no-such-project', ...extra]);
      expect(error?.message).toMatch(/project "no-such-project" does not exist/);
      expect(out).not.toMatch(/^(created|updated|plan) /m);
    }
    expect(api.writes()).toEqual([]);
  });

  it('sends whole rollout weights adding up to 100%, and a second run finds nothing to change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ld-manifest-'));
    try {
      const data = parse(readFileSync('data/manifest.yaml', 'utf8')) as {
        configs: Record<string, { rules: { rollout?: Record<string, number> }[] }>;
      };
      const split = data.configs['support-agent']!.rules.find((r) => r.rollout)!;
      split.rollout = { 'other-paid': 33.3333, 'claude-opus-treatment': 66.6667 };
      const file = join(dir, 'manifest.yaml');
      writeFileSync(file, stringify(data));
      expect((await bootstrap(api, ['--manifest', file])).error).toBeUndefined();
      const rule = api.configs.get('support-agent')!.targeting.production!.rules.find((r) => r.rollout)!;
      expect(rule.rollout!.variations.map((v) => v.weight)).toEqual([33_333, 66_667]);
      api.requests.length = 0;
      expect((await bootstrap(api, ['--manifest', file])).error).toBeUndefined();
      expect(api.writes()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never sends a placeholder for a variation id it cannot find; a dry run shows one', async () => {
    api.hideFromTargeting('security-agent', 'enhanced');
    const { error } = await bootstrap(api);
    expect(error?.message).toMatch(/targeting has no variation enhanced of security-agent/);
    expect(
      api.requests.filter((r) => r.path.endsWith('/security-agent/targeting') && r.method !== 'GET'),
    ).toEqual([]);
    const planned = await bootstrap(api, ['--dry-run'], { LD_API_TOKEN: '' });
    expect(planned.error).toBeUndefined();
    expect(planned.out).toContain('<id of variation enhanced of security-agent>');
  });

  it('--dry-run prints the planned calls and writes nothing', async () => {
    const { out, error } = await bootstrap(api, ['--dry-run']);
    expect(error).toBeUndefined();
    expect(api.writes()).toEqual([]);
    expect(out).toContain(`would POST /api/v2/projects/${PROJECT}/ai-configs/support-agent/variations`);
    expect(out).toContain('"kind":"replaceRules"');
    expect(out).toMatch(/\d+ changes planned/);
  });

  it('plans a fresh project without a token on --dry-run, and refuses a real run without one', async () => {
    const planned = await bootstrap(api, ['--dry-run'], { LD_API_TOKEN: '' });
    expect(planned.error).toBeUndefined();
    expect(api.requests).toEqual([]);
    expect(planned.out).toContain('would POST /api/v2/metrics/rl-hub');
    const refused = await bootstrap(api, [], { LD_API_TOKEN: '' });
    expect(refused.error?.message).toMatch(/LD_API_TOKEN/);
    const badKey = await bootstrap(api, ['--environment', 'prod uction']);
    expect(badKey.error?.message).toMatch(/--environment/);
  });
});

describe('LaunchDarklyRestClient', () => {
  let api: FakeLaunchDarklyApi;
  beforeEach(async () => {
    api = await FakeLaunchDarklyApi.start(TOKEN, PROJECT);
  });
  afterEach(async () => {
    await api.close();
    // Every request the client made, and every answer the stand-in gave, kept to LaunchDarkly's spec.
    expect(api.violations).toEqual([]);
  });

  it('reads a 404 on GET as missing, but throws on a write that meets 404, with method, path and status', async () => {
    const client = new LaunchDarklyRestClient({ baseUrl: api.url, token: TOKEN });
    const path = `/api/v2/projects/${PROJECT}/ai-configs/missing/variations`;
    expect(await client.get(`${path}/v1`)).toBeUndefined();
    const failed = await client.request('POST', path, { key: 'v1', name: 'v1' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LaunchDarklyApiError);
    expect(failed).toMatchObject({ method: 'POST', path, status: 404 });
    expect((failed as Error).message).toContain(`POST ${path} answered 404`);
    expect((failed as Error).message).not.toContain(TOKEN);
  });

  it('takes a 409 on POST as "exists", but throws on a PATCH that meets 409', async () => {
    const client = new LaunchDarklyRestClient({ baseUrl: api.url, token: TOKEN });
    const path = `/api/v2/metrics/${PROJECT}`;
    api.answerNext(409);
    expect((await client.request('POST', path, { key: 'm' })).status).toBe(409);
    api.answerNext(409);
    await expect(client.request('PATCH', `${path}/m`, [], { patch: 'json' })).rejects.toMatchObject({
      status: 409,
      path: `${path}/m`,
    });
  });

  it('meets a 400 from the stand-in for a JSON Patch replace of a member the resource lacks (RFC 6902)', async () => {
    const client = new LaunchDarklyRestClient({ baseUrl: api.url, token: TOKEN });
    const path = `/api/v2/metrics/${PROJECT}`;
    await client.request('POST', path, {
      key: 'm',
      name: 'm',
      kind: 'custom',
      eventKey: 'e',
      isNumeric: false,
    });
    const ops = [{ op: 'replace', path: '/unit', value: 'ms' }];
    await expect(client.request('PATCH', `${path}/m`, ops, { patch: 'json' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(
        /invalid JSON Patch for metric m: .*path that does not exist/,
      ) as unknown,
    });
    ops[0]!.op = 'add';
    expect((await client.request('PATCH', `${path}/m`, ops, { patch: 'json' })).status).toBe(200);
  });

  it('gives up after a bounded number of timeouts, naming the call', async () => {
    api.stallNext(10);
    const retries: string[] = [];
    const client = new LaunchDarklyRestClient({
      baseUrl: api.url,
      token: TOKEN,
      timeoutMs: 100,
      maxRetries: 2,
      maxWaitMs: 1,
      onRetry: ({ reason, attempt }) => retries.push(`${attempt}: ${reason}`),
    });
    const path = `/api/v2/projects/${PROJECT}`;
    await expect(client.get(path)).rejects.toThrow(
      `LaunchDarkly API GET ${path}: timeout after 0.1 s, 3 attempts`,
    );
    expect(retries).toEqual(['1: timeout after 0.1 s', '2: timeout after 0.1 s']);
  });
});

describe('ld config', () => {
  it('defaults LD_API_URL when unset or empty and names it when it is not a URL', () => {
    expect(loadConfig({}).ldApiUrl).toBe('https://app.launchdarkly.com');
    expect(loadConfig({ LD_API_URL: '' }).ldApiUrl).toBe('https://app.launchdarkly.com');
    expect(() => loadConfig({ LD_API_URL: 'not a url' })).toThrow(/LD_API_URL/);
    expect(loadConfig({ LD_API_TIMEOUT_MS: '' }).ldApiTimeoutMs).toBe(30_000);
    expect(() => loadConfig({ LD_API_TIMEOUT_MS: '5s' })).toThrow(/LD_API_TIMEOUT_MS/);
  });
});
