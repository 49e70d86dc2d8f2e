import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * LaunchDarkly's published REST API spec (OpenAPI 3.0.3, v22.0.0 of launchdarkly/api-client-go, 2026-03-05).
 * It lives beside the clone, never in it: CI checks the repo out with `../shared` next to it.
 */
export const SPEC_PATH = fileURLToPath(new URL('../../shared/launchdarkly/openapi.yaml', import.meta.url));

interface OperationObject {
  operationId: string;
  tags?: string[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Spec {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components: Record<string, unknown>;
}

/** One operation of the spec, as a request to the fake matched it. */
export interface Operation {
  operationId: string;
  /** Whether the spec says every call needs `LD-API-Version: beta` (its tag carries the beta notice). */
  beta: boolean;
  raw: OperationObject;
}

const BETA_NOTICE = 'pass in a header including the `LD-API-Version` key with value set to `beta`';

/**
 * Checks request and response bodies against the operations of LaunchDarkly's OpenAPI document, with Ajv 8
 * (which reads OpenAPI 3.0's `nullable`). Schemas are compiled on first use and kept, so each test file loads
 * and compiles the spec once.
 */
export class LaunchDarklyContract {
  private readonly routes: { method: string; pattern: RegExp; names: string[]; op: Operation }[] = [];
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly spec: Spec) {
    const betaTags = new Set(
      (spec.tags ?? []).filter((t) => t.description?.includes(BETA_NOTICE)).map((t) => t.name),
    );
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, raw] of Object.entries(ops)) {
        if (!raw?.operationId) {
          continue;
        }
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
        const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
        const beta = (raw.tags ?? []).some((t) => betaTags.has(t));
        const op = { operationId: raw.operationId, beta, raw };
        this.routes.push({ method: method.toUpperCase(), pattern, names, op });
      }
    }
    // A literal segment wins over a parameter (`/ai-configs/model-configs` over `/ai-configs/{configKey}`).
    this.routes.sort((a, b) => a.names.length - b.names.length);
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    for (const format of ['int', 'int32', 'int64', 'float', 'double', 'string']) {
      this.ajv.addFormat(format, true);
    }
    this.ajv.addSchema({ $id: 'ld', components: spec.components });
  }

  /** The operation a request is for, with its path parameters (decoded); undefined when the spec has none. */
  operation(method: string, path: string): { op: Operation; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      const match = route.method === method ? route.pattern.exec(path) : null;
      if (match) {
        const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
        return { op: route.op, params };
      }
    }
    return undefined;
  }

  /** Violations of the operation's request body schema, one line each: operation id, JSON pointer, message. */
  checkRequest(op: Operation, body: unknown): string[] {
    const schema = op.raw.requestBody?.content?.['application/json']?.schema;
    if (!schema) {
      return body === undefined ? [] : [`${op.operationId} request: the spec defines no JSON body`];
    }
    return this.check(`${op.operationId} request`, `${op.operationId}:request`, schema, body);
  }

  /**
   * Violations of the response schema the spec gives for this status. A status the spec does not list for
   * the operation (LaunchDarkly answers 409 and 429 on more operations than it documents) is held to the
   * shape every LaunchDarkly error shares, `{ code, message }`.
   */
  checkResponse(op: Operation, status: number, body: unknown): string[] {
    const response = op.raw.responses?.[String(status)];
    const schema = response?.content?.['application/json']?.schema;
    if (schema) {
      return this.check(`${op.operationId} ${status} response`, `${op.operationId}:${status}`, schema, body);
    }
    if (response) {
      return body === undefined ? [] : [`${op.operationId} ${status} response: the spec defines no body`];
    }
    if (status >= 400) {
      return this.check(
        `${op.operationId} ${status} response`,
        'error',
        { $ref: '#/components/schemas/Error' },
        body,
      );
    }
    return [`${op.operationId}: the spec lists no ${status} response`];
  }

  private check(label: string, cacheKey: string, schema: unknown, data: unknown): string[] {
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      const local = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"ld#/components/'));
      validate = this.ajv.compile(local as object);
      this.compiled.set(cacheKey, validate);
    }
    if (validate(data)) {
      return [];
    }
    return (validate.errors ?? []).map(
      (e: ErrorObject) => `${label} ${e.instancePath || '/'}: ${e.message ?? 'invalid'}`,
    );
  }
}

let contract: LaunchDarklyContract | undefined;

/** The spec, read and set up once per test file; a missing spec fails loudly, naming where it is expected. */
export function launchDarklyContract(): LaunchDarklyContract {
  if (!contract) {
    if (!existsSync(SPEC_PATH)) {
      throw new Error(
        `LaunchDarkly's OpenAPI spec is missing: expected at ${SPEC_PATH} (../shared/launchdarkly/openapi.yaml ` +
          'from the repo root, beside the clone as CI provides it)',
      );
    }
    contract = new LaunchDarklyContract(
      parse(readFileSync(SPEC_PATH, 'utf8'), { maxAliasCount: -1 }) as Spec,
    );
  }
  return contract;
}
