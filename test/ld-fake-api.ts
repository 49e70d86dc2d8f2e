import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One request the server received, as recorded for assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  status: number;
}

type Json = Record<string, unknown>;
interface Rule extends Json {
  _id: string;
  clauses: Json[];
  variation?: number;
  rollout?: { variations: { variation: number; weight: number }[]; bucketBy?: string };
}
interface Env {
  enabled: boolean;
  version: number;
  fallthrough: { variation: number };
  rules: Rule[];
}
interface AiConfig extends Json {
  key: string;
  mode: string;
  variations: (Json & { key: string; _id: string })[];
  targeting: Record<string, Env>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A local stand-in for the LaunchDarkly REST API v2 endpoints that `ld bootstrap` uses, answering as the
 * documented API does: token auth, `LD-API-Version: beta` on AI Config and experiment resources and
 * `20240415` on the others, paginated lists with
 * `_links.next`, 404 for missing, 409 for duplicates, 429 with `X-Ratelimit-Reset` on demand, semantic
 * patch for targeting and JSON Patch for segments and metrics. It keeps state and records every request.
 */
export class FakeLaunchDarklyApi {
  readonly requests: RecordedRequest[] = [];
  url = '';
  /** Page size the server uses whatever `limit` asks for, to force pagination. */
  maxPageSize = 2;
  private rateLimited = 0;
  private stalled = 0;
  private forced: number | undefined;
  private readonly hidden = new Set<string>();
  readonly tools = new Map<string, Json>();
  readonly modelConfigs = new Map<string, Json>();
  readonly configs = new Map<string, AiConfig>();
  readonly segments = new Map<string, Json>();
  readonly metrics = new Map<string, Json>();
  readonly experiments = new Map<string, Json>();
  private readonly server: Server;

  private constructor(
    readonly token: string,
    readonly project: string,
    readonly environment: string,
  ) {
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
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (req.headers.authorization !== this.token) {
      // Echo what was presented, as some servers do, so the client's scrubbing is put to the test.
      return send(401, {
        code: 'unauthorized',
        message: `Invalid access token ${String(req.headers.authorization)}`,
      });
    }
    if (this.forced !== undefined) {
      const status = this.forced;
      this.forced = undefined;
      return send(status, { code: 'conflict', message: `forced ${status}` });
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
    try {
      const [status, body] = this.route(record, url);
      send(status, body);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      send(status, {
        code: status === 404 ? 'not_found' : 'invalid_request',
        message: (err as Error).message,
      });
    }
  }

  private route(req: RecordedRequest, url: URL): [number, unknown] {
    const p = `/api/v2/projects/${this.project}`;
    const m = (pattern: string) => new RegExp(`^${pattern}$`).exec(req.path);
    const version = (expected: string) => {
      if (req.headers['ld-api-version'] !== expected) {
        throw new HttpError(
          400,
          `send LD-API-Version: ${expected} (got ${String(req.headers['ld-api-version'])})`,
        );
      }
    };
    // Beta resources need the beta header on every call; stable ones are held to the version the client targets.
    const beta = () => version('beta');
    const stable = () => version('20240415');
    let match: RegExpExecArray | null;
    const other = /^\/api\/v2\/(?:projects|segments|metrics)\/([^/]+)/.exec(req.path);
    if (other && other[1] !== this.project) {
      throw new HttpError(404, `project ${other[1]} not found`);
    }
    if (req.path === p && req.method === 'GET') {
      stable();
      return [200, { key: this.project, name: this.project }];
    }
    if ((match = m(`${p}/ai-tools(?:/([^/]+))?`))) {
      beta();
      return this.collection('tool', this.tools, req, url, match[1]);
    }
    if ((match = m(`${p}/ai-configs/model-configs(?:/([^/]+))?`))) {
      beta();
      if (req.method === 'GET' && !match[1]) {
        return [200, [...this.modelConfigs.values()]]; // this endpoint answers a plain array
      }
      return this.collection('model-config', this.modelConfigs, req, url, match[1]);
    }
    if ((match = m(`${p}/ai-configs/([^/]+)/targeting`))) {
      beta();
      return this.targeting(req, this.config(match[1]!));
    }
    if ((match = m(`${p}/ai-configs/([^/]+)/variations(?:/([^/]+))?`))) {
      beta();
      return this.variations(req, this.config(match[1]!), match[2]);
    }
    if ((match = m(`${p}/ai-configs(?:/([^/]+))?`))) {
      beta();
      if (req.method === 'POST') {
        const body = req.body as Json;
        if (body.mode !== 'agent') {
          throw new HttpError(400, 'mode must be agent for this test');
        }
      }
      return this.collection('ai-config', this.configs as Map<string, Json>, req, url, match[1], (body) => ({
        ...body,
        variations: [],
        targeting: {
          [this.environment]: { enabled: true, version: 1, fallthrough: { variation: 0 }, rules: [] },
        },
      }));
    }
    if ((match = m(`/api/v2/segments/${this.project}/${this.environment}(?:/([^/]+))?`))) {
      stable();
      return this.collection('segment', this.segments, req, url, match[1], (body) => ({
        ...body,
        rules: [],
      }));
    }
    if ((match = m(`/api/v2/metrics/${this.project}(?:/([^/]+))?`))) {
      stable();
      return this.collection('metric', this.metrics, req, url, match[1]);
    }
    if ((match = m(`${p}/environments/${this.environment}/experiments(?:/([^/]+))?`))) {
      beta();
      if (req.method === 'POST') {
        this.checkExperiment(req.body as Json);
      }
      // The API shows the iteration an experiment is created with as its current one.
      return this.collection(
        'experiment',
        this.experiments,
        req,
        url,
        match[1],
        ({ iteration, ...rest }) => ({
          ...rest,
          currentIteration: { ...(iteration as Json), status: 'not_started' },
        }),
      );
    }
    throw new HttpError(404, `no route ${req.method} ${req.path}`);
  }

  private collection(
    kind: string,
    store: Map<string, Json>,
    req: RecordedRequest,
    url: URL,
    key: string | undefined,
    init: (body: Json) => Json = (b) => b,
  ): [number, unknown] {
    if (req.method === 'GET' && key === undefined) {
      const all = [...store.values()].filter((x) => !this.hidden.has(`${kind}:${String(x.key)}`));
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 20), this.maxPageSize);
      const items = all.slice(offset, offset + limit).map((x) => this.view(x));
      const links: Json = {};
      if (offset + limit < all.length) {
        links.next = { href: `${url.pathname}?limit=${limit}&offset=${offset + limit}` };
      }
      return [200, { items, totalCount: all.length, _links: links }];
    }
    if (req.method === 'POST' && key === undefined) {
      const body = req.body as Json;
      if (typeof body.key !== 'string') {
        throw new HttpError(400, 'key is required');
      }
      if (store.has(body.key)) {
        throw new HttpError(409, `${kind} ${body.key} already exists`);
      }
      store.set(body.key, { ...init(body), _id: randomUUID(), version: 1 });
      return [201, this.view(store.get(body.key)!)];
    }
    const item = key === undefined ? undefined : store.get(key);
    if (!item) {
      throw new HttpError(404, `${kind} ${key} not found`);
    }
    if (req.method === 'GET') {
      return [200, this.view(item)];
    }
    if (req.method === 'PATCH') {
      if (Array.isArray(req.body)) {
        for (const op of req.body as { op: string; path: string; value: unknown }[]) {
          if (op.op !== 'replace' || !/^\/\w+$/.test(op.path)) {
            throw new HttpError(400, `unsupported JSON patch ${JSON.stringify(op)}`);
          }
          item[op.path.slice(1)] = op.value;
        }
      } else {
        Object.assign(item, req.body as Json);
      }
      item.version = Number(item.version) + 1;
      return [200, this.view(item)];
    }
    throw new HttpError(405, `${req.method} not allowed`);
  }

  private view(item: Json): Json {
    const { targeting: _t, ...rest } = item;
    return rest;
  }

  private config(key: string): AiConfig {
    const config = this.configs.get(key);
    if (!config) {
      throw new HttpError(404, `AI Config ${key} not found`);
    }
    return config;
  }

  private variations(req: RecordedRequest, config: AiConfig, key: string | undefined): [number, unknown] {
    const body = req.body as Json & { toolKeys?: string[]; modelConfigKey?: string };
    if (req.method === 'POST' || req.method === 'PATCH') {
      for (const tool of body.toolKeys ?? []) {
        if (!this.tools.has(tool)) {
          throw new HttpError(400, `unknown tool ${tool}`);
        }
      }
      if (body.modelConfigKey && !this.modelConfigs.has(body.modelConfigKey)) {
        throw new HttpError(400, `unknown model config ${body.modelConfigKey}`);
      }
    }
    const stored = (b: Json & { toolKeys?: string[] }) => {
      const { toolKeys, ...rest } = b;
      return toolKeys ? { ...rest, tools: toolKeys.map((k) => ({ key: k, version: 1 })) } : rest;
    };
    if (req.method === 'POST' && key === undefined) {
      if (config.variations.some((v) => v.key === body.key)) {
        throw new HttpError(409, `variation ${String(body.key)} already exists`);
      }
      const variation = { ...stored(body), key: String(body.key), _id: randomUUID(), version: 1 };
      config.variations.push(variation);
      return [201, variation];
    }
    const variation = config.variations.find((v) => v.key === key);
    if (!variation) {
      throw new HttpError(404, `variation ${key} not found`);
    }
    if (req.method === 'PATCH') {
      Object.assign(variation, stored(body));
      return [200, variation];
    }
    return [200, { items: [variation], totalCount: 1 }];
  }

  /** Leave a variation out of its AI Config's targeting answers (a read that lags behind a create). */
  hideFromTargeting(configKey: string, variationKey: string): void {
    this.hidden.add(`targeting:${configKey}/${variationKey}`);
  }

  /** Targeting as the API shows it: a disabled variation at index 0, then the config's variations. */
  private targetingVariations(config: AiConfig) {
    const shown = config.variations.filter((v) => !this.hidden.has(`targeting:${config.key}/${v.key}`));
    return [
      { _id: `${config.key}-disabled`, name: 'disabled', value: { _ldMeta: { enabled: false } } },
      ...shown.map((v) => ({
        _id: v._id,
        name: v.key,
        value: { _ldMeta: { variationKey: v.key, enabled: true } },
      })),
    ];
  }

  private targeting(req: RecordedRequest, config: AiConfig): [number, unknown] {
    const variations = this.targetingVariations(config);
    const env = config.targeting[this.environment]!;
    if (req.method === 'PATCH') {
      if (!String(req.headers['content-type']).includes('domain-model=launchdarkly.semanticpatch')) {
        throw new HttpError(400, 'targeting takes a semantic patch');
      }
      const body = req.body as { environmentKey: string; instructions: Json[] };
      if (body.environmentKey !== this.environment) {
        throw new HttpError(400, `unknown environment ${body.environmentKey}`);
      }
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
              clauses: rule.clauses as Json[],
              description: rule.description,
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
      env.version++;
    }
    return [
      200,
      { key: config.key, version: env.version, variations, environments: { [this.environment]: env } },
    ];
  }

  private checkExperiment(body: Json): void {
    const iteration = body.iteration as {
      metrics: { key: string }[];
      treatments: { parameters: { flagKey: string; variationId: string }[] }[];
      flags: Record<string, { ruleId: string }>;
    };
    for (const metric of iteration.metrics) {
      if (!this.metrics.has(metric.key)) {
        throw new HttpError(400, `unknown metric ${metric.key}`);
      }
    }
    for (const [flagKey, flag] of Object.entries(iteration.flags)) {
      const config = this.config(flagKey);
      if (!config.targeting[this.environment]!.rules.some((r) => r._id === flag.ruleId)) {
        throw new HttpError(400, `unknown rule ${flag.ruleId} on ${flagKey}`);
      }
      const ids = new Set(config.variations.map((v) => v._id));
      for (const t of iteration.treatments) {
        if (!t.parameters.every((x) => ids.has(x.variationId))) {
          throw new HttpError(400, 'treatment names an unknown variation');
        }
      }
    }
  }
}
