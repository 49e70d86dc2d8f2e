import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import fastJsonPatch, { type Operation as PatchOperation } from 'fast-json-patch';
import { launchDarklyContract, type LaunchDarklyContract } from './ld-openapi.js';

/** One request the server received, as recorded for assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  status: number;
  /** The spec's operation id, when the spec has one for this method and path. */
  operationId?: string;
}

type Json = Record<string, unknown>;
export interface Clause extends Json {
  id: string;
  attribute: string;
  op: string;
  values: unknown[];
  negate: boolean;
}
export interface Rule extends Json {
  _id: string;
  clauses: Clause[];
  trackEvents: boolean;
  variation?: number;
  rollout?: { variations: { variation: number; weight: number }[]; bucketBy?: string; contextKind: string };
}
export interface Env {
  enabled: boolean;
  _version: number;
  fallthrough: { variation: number };
  rules: Rule[];
}
interface Variation extends Json {
  key: string;
  _id: string;
}
interface AiConfig extends Json {
  key: string;
  name: string;
  mode: string;
  variations: Variation[];
  /** The targeting's top-level `_version`: it moves with every change to the AI Config. */
  _version: number;
  targeting: Record<string, Env>;
}
interface Iteration extends Json {
  flags: Record<string, { targetingRule: string; flagConfigVersion: number; _links: Json }>;
}
interface Experiment extends Json {
  key: string;
  currentIteration?: Iteration;
  draftIteration?: Iteration;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The stable REST API version the client pins for operations that are not beta. */
const STABLE_VERSION = '20240415';
const link = (href: string) => ({ href, type: 'application/json' });

/**
 * A local stand-in for the LaunchDarkly REST API v2 operations that `ld bootstrap` uses, held to LaunchDarkly's
 * published OpenAPI document (`../shared/launchdarkly/openapi.yaml`): every request body is checked against its
 * operation's schema and every answer against the response schema, and each departure is kept in `violations`
 * (the request gets 400, a bad answer 500), so neither side can drift from the spec unseen. It answers in the
 * spec's shapes (`_version`, `_id`, `targetingRule`, `items` with `totalCount` or `total_count`), wants
 * `LD-API-Version: beta` where the spec says so and `20240415` elsewhere, honours `expand` on experiments,
 * applies JSON Patch as RFC 6902 says (a `replace` of a missing member is refused), answers 409 to a POST of
 * an existing key, 404 for missing, 429 with `X-Ratelimit-Reset` on demand; it keeps state and records every
 * request.
 */
export class FakeLaunchDarklyApi {
  readonly requests: RecordedRequest[] = [];
  /** Every departure from the spec, one line each: operation id, JSON pointer, message. */
  readonly violations: string[] = [];
  url = '';
  /** Page size the server uses whatever `limit` asks for, to force pagination. */
  maxPageSize = 2;
  /**
   * How AI Config targeting rules come back: `flag` adds the flag-style `_id`, `variation` / `rollout` and
   * `description` to the documented `clauses` and `trackEvents`; `documented` gives only what the spec lists.
   */
  ruleShape: 'flag' | 'documented' = 'flag';
  private rateLimited = 0;
  private stalled = 0;
  private forced: number | undefined;
  private readonly hidden = new Set<string>();
  readonly tools = new Map<string, Json>();
  readonly modelConfigs = new Map<string, Json>();
  readonly configs = new Map<string, AiConfig>();
  readonly segments = new Map<string, Json>();
  readonly metrics = new Map<string, Json>();
  readonly experiments = new Map<string, Experiment>();
  private readonly server: Server;
  private readonly contract: LaunchDarklyContract;

  private constructor(
    readonly token: string,
    readonly project: string,
    readonly environment: string,
  ) {
    this.contract = launchDarklyContract();
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(
    token: string,
    project: string,
    environment = 'production',
  ): Promise<FakeLaunchDarklyApi> {
    const api = new FakeLaunchDarklyApi(token, project, environment);
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    const address = api.server.address();
    api.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return api;
  }

  /** The next `count` requests get 429 with a reset a few milliseconds ahead. */
  rateLimitNext(count: number): void {
    this.rateLimited = count;
  }

  /** The next request gets this status (with a LaunchDarkly error body), whatever it asks. */
  answerNext(status: number): void {
    this.forced = status;
  }

  /** The next `count` requests are recorded (status 0) and never answered, so the client's timeout fires. */
  stallNext(count: number): void {
    this.stalled = count;
  }

  /** Leave a resource out of list answers (a list that lags behind), so a create meets a 409. */
  hideFromLists(kind: string, key: string): void {
    this.hidden.add(`${kind}:${key}`);
  }

  /** Leave a variation out of its AI Config's targeting answers (a read that lags behind a create). */
  hideFromTargeting(configKey: string, variationKey: string): void {
    this.hidden.add(`targeting:${configKey}/${variationKey}`);
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  creates(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.status < 300);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const text = Buffer.concat(chunks).toString();
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
      status: 0,
    };
    this.requests.push(record);
    const found = this.contract.operation(record.method, record.path);
    record.operationId = found?.op.operationId;
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      const problems = found ? this.contract.checkResponse(found.op, status, body) : [];
      if (problems.length > 0) {
        this.violations.push(...problems);
        status = 500;
        body = { code: 'fake_off_spec', message: problems.join('; ') };
      }
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, code: string, message: string) => send(status, { code, message });
    if (!found) {
      this.violations.push(`${record.method} ${record.path}: no operation in LaunchDarkly's spec`);
      return error(404, 'not_found', `no operation ${record.method} ${record.path}`);
    }
    if (req.headers.authorization !== this.token) {
      // Echo what was presented, as some servers do, so the client's scrubbing is put to the test.
      return error(401, 'unauthorized', `Invalid access token ${String(req.headers.authorization)}`);
    }
    const version = found.op.beta ? 'beta' : STABLE_VERSION;
    if (req.headers['ld-api-version'] !== version) {
      const message = `${found.op.operationId}: send LD-API-Version: ${version} (got ${String(req.headers['ld-api-version'])})`;
      this.violations.push(message);
      return error(400, 'invalid_request', message);
    }
    if (this.forced !== undefined) {
      const status = this.forced;
      this.forced = undefined;
      return error(status, 'conflict', `forced ${status}`);
    }
    if (this.stalled > 0) {
      this.stalled--;
      return; // close() drops the connection
    }
    if (this.rateLimited > 0) {
      this.rateLimited--;
      const reset = String(Date.now() + 30);
      return send(
        429,
        { code: 'rate_limited', message: 'Rate limited' },
        { 'X-Ratelimit-Reset': reset, 'Retry-After': '1' },
      );
    }
    const problems = this.contract.checkRequest(found.op, record.body);
    if (problems.length > 0) {
      this.violations.push(...problems);
      return error(400, 'invalid_request', problems.join('; '));
    }
    try {
      const [status, body] = this.route(found.op.operationId, found.params, record, url);
      send(status, body);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const code = { 404: 'not_found', 409: 'conflict' }[status] ?? 'invalid_request';
      error(status, code, (err as Error).message);
    }
  }

  private route(
    operationId: string,
    params: Record<string, string>,
    req: RecordedRequest,
    url: URL,
  ): [number, unknown] {
    if (params.projectKey !== undefined && params.projectKey !== this.project) {
      throw new HttpError(404, `project ${params.projectKey} not found`);
    }
    if (params.environmentKey !== undefined && params.environmentKey !== this.environment) {
      throw new HttpError(404, `environment ${params.environmentKey} not found`);
    }
    const body = req.body as Json;
    const now = Date.now();
    const base = `/api/v2/projects/${this.project}`;
    switch (operationId) {
      case 'getProject':
        return [
          200,
          {
            _id: 'p1',
            _links: {},
            key: this.project,
            name: this.project,
            tags: [],
            includeInSnippetByDefault: false,
          },
        ];
      case 'listAITools':
        return [200, this.page('tool', this.tools, url)];
      case 'postAITool':
        return [
          201,
          this.create('tool', this.tools, body, {
            version: 1,
            createdAt: now,
            _links: { self: link(`${base}/ai-tools/${String(body.key)}`), parent: link(base) },
          }),
        ];
      case 'patchAITool':
        return [200, bump(Object.assign(this.get('tool', this.tools, params.toolKey), body))];
      case 'listModelConfigs':
        return [200, [...this.modelConfigs.values()]]; // this operation answers a plain array
      case 'postModelConfig':
        return [
          200,
          this.create('model config', this.modelConfigs, body, {
            global: false,
            isRestricted: false,
            version: 1,
            tags: body.tags ?? [],
          }),
        ];
      case 'getAIConfigs':
        return [200, this.page('ai-config', this.configs, url, (c) => this.configView(c))];
      case 'postAIConfig': {
        if (body.mode !== 'agent') {
          throw new HttpError(400, 'mode must be agent for this test');
        }
        const env: Env = { enabled: true, _version: 1, fallthrough: { variation: 0 }, rules: [] };
        const extra = {
          description: '',
          tags: [],
          version: 1,
          createdAt: now,
          updatedAt: now,
          variations: [],
          _version: 1,
          targeting: { [this.environment]: env },
        };
        return [201, this.configView(this.create('ai-config', this.configs, body, extra) as AiConfig)];
      }
      case 'getAIConfig':
        return [200, this.configView(this.config(params.configKey))];
      case 'patchAIConfig': {
        const config = this.config(params.configKey);
        Object.assign(config, body);
        config._version++;
        return [200, this.configView(bump(config))];
      }
      case 'postAIConfigVariation':
      case 'patchAIConfigVariation':
      case 'getAIConfigVariation':
        return this.variations(operationId, this.config(params.configKey), params.variationKey, body);
      case 'getAIConfigTargeting':
        return [200, this.targetingView(this.config(params.configKey))];
      case 'patchAIConfigTargeting':
        return this.patchTargeting(this.config(params.configKey), req);
      case 'getSegments':
        return [200, this.page('segment', this.segments, url)];
      case 'postSegment':
        return [
          201,
          this.create('segment', this.segments, body, {
            description: '',
            tags: [],
            rules: [],
            included: [],
            excluded: [],
            creationDate: now,
            lastModifiedDate: now,
            deleted: false,
            generation: 1,
            version: 1,
            _links: {},
          }),
        ];
      case 'getSegment':
        return [200, this.get('segment', this.segments, params.segmentKey)];
      case 'patchSegment': {
        const segment = this.jsonPatch(
          'segment',
          this.segments,
          params.segmentKey,
          (body as { patch: PatchOperation[] }).patch,
        );
        for (const rule of segment.rules as Json[]) {
          rule._id ??= randomUUID();
        }
        return [200, segment];
      }
      case 'getMetrics':
        return [200, this.page('metric', this.metrics, url)];
      case 'postMetric':
        return [
          201,
          this.create('metric', this.metrics, body, {
            _id: randomUUID(),
            _versionId: randomUUID(),
            _version: 1,
            _creationDate: now,
            tags: [],
            dataSource: { key: 'launchdarkly' },
            _links: { self: link(`/api/v2/metrics/${this.project}/${String(body.key)}`) },
          }),
        ];
      case 'getMetric':
        return [200, this.get('metric', this.metrics, params.metricKey)];
      case 'patchMetric': {
        const metric = this.jsonPatch('metric', this.metrics, params.metricKey, req.body as PatchOperation[]);
        metric._version = Number(metric._version) + 1;
        return [200, metric];
      }
      case 'getExperiments': {
        const expand = new Set((url.searchParams.get('expand') ?? '').split(','));
        return [
          200,
          this.page('experiment', this.experiments, url, (x) => experimentView(x, expand), 'total_count'),
        ];
      }
      case 'createExperiment':
        return [201, experimentView(this.createExperiment(body), new Set())];
      default:
        throw new HttpError(404, `${operationId} is not served by this stand-in`);
    }
  }

  private page<T extends Json>(
    kind: string,
    store: Map<string, T>,
    url: URL,
    view: (item: T) => unknown = (x) => x,
    totalField = 'totalCount',
  ): Json {
    const all = [...store.values()].filter((x) => !this.hidden.has(`${kind}:${String(x.key)}`));
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), this.maxPageSize);
    const items = all.slice(offset, offset + limit).map(view);
    const links: Json = { self: link(`${url.pathname}${url.search}`) };
    if (offset + limit < all.length) {
      links.next = link(`${url.pathname}?limit=${limit}&offset=${offset + limit}`);
    }
    return { items, [totalField]: all.length, _links: links };
  }

  private create<T extends Json>(kind: string, store: Map<string, T>, body: Json, extra: Json): T {
    const key = String(body.key);
    if (store.has(key)) {
      throw new HttpError(409, `${kind} ${key} already exists`);
    }
    const item = { ...extra, ...body } as T;
    store.set(key, item);
    return item;
  }

  private get<T>(kind: string, store: Map<string, T>, key: string | undefined): T {
    const item = key === undefined ? undefined : store.get(key);
    if (!item) {
      throw new HttpError(404, `${kind} ${key} not found`);
    }
    return item;
  }

  /** RFC 6902 on a copy, validated first: `replace` or `remove` of a member that is not there is a 400. */
  private jsonPatch(
    kind: string,
    store: Map<string, Json>,
    key: string | undefined,
    ops: PatchOperation[],
  ): Json {
    const item = this.get(kind, store, key);
    try {
      const { newDocument } = fastJsonPatch.applyPatch(structuredClone(item), ops, true, false);
      store.set(key!, newDocument);
      return newDocument;
    } catch (err) {
      throw new HttpError(400, `invalid JSON Patch for ${kind} ${key}: ${(err as Error).message}`);
    }
  }

  private config(key: string | undefined): AiConfig {
    return this.get('AI Config', this.configs, key);
  }

  private configView(config: AiConfig): Json {
    const { targeting: _t, _version: _v, ...rest } = config;
    return rest;
  }

  private variations(
    operationId: string,
    config: AiConfig,
    key: string | undefined,
    body: Json,
  ): [number, unknown] {
    const { toolKeys, ...rest } = body as Json & { toolKeys?: string[]; modelConfigKey?: string };
    if (operationId !== 'getAIConfigVariation') {
      for (const tool of toolKeys ?? []) {
        if (!this.tools.has(tool)) {
          throw new HttpError(400, `unknown tool ${tool}`);
        }
      }
      if (rest.modelConfigKey && !this.modelConfigs.has(String(rest.modelConfigKey))) {
        throw new HttpError(400, `unknown model config ${String(rest.modelConfigKey)}`);
      }
      config._version++;
    }
    const stored = toolKeys ? { ...rest, tools: toolKeys.map((k) => ({ key: k, version: 1 })) } : rest;
    if (operationId === 'postAIConfigVariation') {
      if (config.variations.some((v) => v.key === body.key)) {
        throw new HttpError(409, `variation ${String(body.key)} already exists`);
      }
      const variation: Variation = {
        model: {},
        ...stored,
        key: String(body.key),
        _id: randomUUID(),
        createdAt: Date.now(),
        version: 1,
        _links: { parent: link(`/api/v2/projects/${this.project}/ai-configs/${config.key}`) },
      };
      config.variations.push(variation);
      return [201, variation];
    }
    const variation = config.variations.find((v) => v.key === key);
    if (!variation) {
      throw new HttpError(404, `variation ${key} not found`);
    }
    if (operationId === 'patchAIConfigVariation') {
      return [200, bump(Object.assign(variation, stored))];
    }
    return [200, { items: [variation], totalCount: 1 }];
  }

  /** Targeting variations as the API shows them: a disabled variation at index 0, then the config's. */
  private targetingVariations(
    config: AiConfig,
  ): { _id: string; name: string; description: string; value: Json }[] {
    const shown = config.variations.filter((v) => !this.hidden.has(`targeting:${config.key}/${v.key}`));
    return [
      {
        _id: `${config.key}-disabled`,
        name: 'disabled',
        description: '',
        value: { _ldMeta: { enabled: false } },
      },
      ...shown.map((v) => ({
        _id: v._id,
        name: v.key,
        description: '',
        value: { _ldMeta: { variationKey: v.key, enabled: true } },
      })),
    ];
  }

  private targetingView(config: AiConfig): Json {
    const environments = Object.fromEntries(
      Object.entries(config.targeting).map(([key, env]) => [
        key,
        {
          _environmentName: key,
          _version: env._version,
          enabled: env.enabled,
          fallthrough: env.fallthrough,
          offVariation: 0,
          rules: env.rules.map((rule) =>
            this.ruleShape === 'flag' ? rule : { clauses: rule.clauses, trackEvents: rule.trackEvents },
          ),
          targets: [],
          contextTargets: [],
          trackEvents: false,
          trackEventsFallthrough: false,
          lastModified: Date.now(),
        },
      ]),
    );
    return {
      _version: config._version,
      createdAt: config.createdAt,
      key: config.key,
      name: config.name,
      tags: [],
      variations: this.targetingVariations(config),
      experiments: { baselineIdx: 0, items: [] },
      environments,
    };
  }

  private patchTargeting(config: AiConfig, req: RecordedRequest): [number, unknown] {
    if (!String(req.headers['content-type']).includes('domain-model=launchdarkly.semanticpatch')) {
      throw new HttpError(400, 'targeting takes a semantic patch');
    }
    const body = req.body as { environmentKey: string; instructions: Json[] };
    const env = config.targeting[body.environmentKey];
    if (!env) {
      throw new HttpError(400, `unknown environment ${body.environmentKey}`);
    }
    const variations = this.targetingVariations(config);
    const index = (id: unknown) => {
      const i = variations.findIndex((v) => v._id === id);
      if (i < 0) {
        throw new HttpError(400, `unknown variation id ${String(id)}`);
      }
      return i;
    };
    for (const instruction of body.instructions) {
      if (instruction.kind === 'replaceRules') {
        env.rules = (instruction.rules as Json[]).map((rule) => {
          const out: Rule = {
            _id: randomUUID(),
            description: rule.description,
            clauses: (rule.clauses as Json[]).map(
              (c) => ({ negate: false, ...c, id: randomUUID() }) as Clause,
            ),
            trackEvents: false,
          };
          if (rule.variationId !== undefined) {
            out.variation = index(rule.variationId);
          } else {
            const weights = rule.rolloutWeights as Record<string, number>;
            const total = Object.values(weights).reduce((a, b) => a + b, 0);
            if (!Object.values(weights).every(Number.isInteger) || total !== 100_000) {
              throw new HttpError(
                400,
                `rollout weights must be integers adding up to 100000: ${JSON.stringify(weights)}`,
              );
            }
            out.rollout = {
              bucketBy: rule.rolloutBucketBy as string,
              contextKind: String(rule.rolloutContextKind ?? 'user'),
              variations: Object.entries(weights).map(([id, weight]) => ({ variation: index(id), weight })),
            };
          }
          return out;
        });
      } else if (instruction.kind === 'updateFallthroughVariationOrRollout') {
        env.fallthrough = { variation: index(instruction.variationId) };
      } else {
        throw new HttpError(400, `unsupported instruction ${String(instruction.kind)}`);
      }
    }
    env._version++;
    config._version++;
    return [200, this.targetingView(config)];
  }

  /**
   * An experiment as LaunchDarkly keeps it: the iteration it is created with is its current one, not
   * started; `flagConfigVersion` must be the targeting's current `_version` in the environment.
   */
  private createExperiment(body: Json): Experiment {
    const iteration = body.iteration as {
      hypothesis: string;
      canReshuffleTraffic?: boolean;
      randomizationUnit?: string;
      primarySingleMetricKey?: string;
      metrics: { key: string }[];
      treatments: {
        name: string;
        baseline: boolean;
        allocationPercent: string;
        parameters: { flagKey: string; variationId: string }[];
      }[];
      flags: Record<string, { ruleId: string; flagConfigVersion: number }>;
    };
    const metric = (key: string) => {
      const found = this.metrics.get(key);
      if (!found) {
        throw new HttpError(400, `unknown metric ${key}`);
      }
      return found;
    };
    for (const m of iteration.metrics) {
      metric(m.key);
    }
    const flags: Iteration['flags'] = {};
    for (const [flagKey, flag] of Object.entries(iteration.flags)) {
      const config = this.config(flagKey);
      const env = config.targeting[this.environment]!;
      if (!env.rules.some((r) => r._id === flag.ruleId)) {
        throw new HttpError(400, `unknown rule ${flag.ruleId} on ${flagKey}`);
      }
      if (flag.flagConfigVersion !== env._version) {
        throw new HttpError(
          400,
          `flagConfigVersion ${flag.flagConfigVersion} of ${flagKey} is not its current version ${env._version}`,
        );
      }
      const ids = new Set(config.variations.map((v) => v._id));
      for (const t of iteration.treatments) {
        if (!t.parameters.every((x) => ids.has(x.variationId))) {
          throw new HttpError(400, 'treatment names an unknown variation');
        }
      }
      flags[flagKey] = { targetingRule: flag.ruleId, flagConfigVersion: flag.flagConfigVersion, _links: {} };
    }
    const dependent = (key: string) => {
      const m = metric(key);
      return {
        key,
        _versionId: String(m._versionId),
        name: String(m.name),
        kind: 'custom',
        isNumeric: m.isNumeric,
        eventKey: m.eventKey,
        isGroup: false,
        _links: {},
      };
    };
    const primary = iteration.primarySingleMetricKey;
    const experiment: Experiment = {
      _id: randomUUID(),
      key: String(body.key),
      name: String(body.name),
      description: body.description ?? '',
      _maintainerId: 'fake-member',
      _creationDate: Date.now(),
      environmentKey: this.environment,
      _links: {
        self: link(
          `/api/v2/projects/${this.project}/environments/${this.environment}/experiments/${String(body.key)}`,
        ),
      },
      currentIteration: {
        _id: randomUUID(),
        hypothesis: iteration.hypothesis,
        status: 'not_started',
        createdAt: Date.now(),
        canReshuffleTraffic: iteration.canReshuffleTraffic ?? true,
        randomizationUnit: iteration.randomizationUnit ?? 'user',
        flags,
        treatments: iteration.treatments.map((t) => ({ _id: randomUUID(), ...t })),
        metrics: iteration.metrics.map((m) => dependent(m.key)),
        ...(primary ? { primarySingleMetric: dependent(primary) } : {}),
      },
    };
    return this.create('experiment', this.experiments, { key: experiment.key }, experiment);
  }
}

/** Bumps a resource's `version` after a change. */
function bump<T extends Json>(item: T): T {
  (item as Json).version = Number(item.version ?? 0) + 1;
  return item;
}

/** What the experiments list shows: no draft iteration or treatments unless `expand` asks for them. */
function experimentView(x: Experiment, expand: Set<string>): Json {
  const { draftIteration, currentIteration, ...rest } = x;
  const iteration = (it: Iteration) => {
    if (expand.has('treatments')) {
      return it;
    }
    const { treatments: _t, ...without } = it;
    return without;
  };
  return {
    ...rest,
    ...(currentIteration ? { currentIteration: iteration(currentIteration) } : {}),
    ...(draftIteration && expand.has('draftIteration') ? { draftIteration: iteration(draftIteration) } : {}),
  };
}
