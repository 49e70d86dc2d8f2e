import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { buildProgram } from '../cli.js';
import { QUERY_QUEUE } from '../shared/query-job.js';

/**
 * deploy/kubernetes, checked without a cluster: every object validates against the Kubernetes or KEDA schema
 * (kubernetes-models, @kubernetes-models/keda), and the objects fit together and fit the code.
 */

const DIR = 'deploy/kubernetes';
const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
} as const;

interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string };
  spec?: {
    selector?: Record<string, string> | { matchLabels: Record<string, string> };
    ports?: { port: number; targetPort: string | number }[];
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; terminationGracePeriodSeconds?: number };
    };
    scaleTargetRef?: { name: string };
    triggers?: { type: string; metadata: Record<string, string> }[];
    volumeClaimTemplates?: unknown[];
  };
  data?: Record<string, string>;
}

const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
};
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects: (K8sObject & { file: string })[] = files.flatMap((file) =>
  // YAML 1.1, as kubectl reads it: a bare `off` or `yes` is a boolean there.
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8'), { version: '1.1' }).map((doc) => {
    expect(doc.errors, file).toEqual([]);
    return { ...(doc.toJS() as K8sObject), file };
  }),
);
const named = (kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = objects.filter((o) => o.spec?.template);
const containers = workloads.flatMap((o) => o.spec?.template?.spec.containers ?? []);

describe('deploy/kubernetes', () => {
  it('validates every object against its Kubernetes or KEDA schema', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      const { file, ...data } = object;
      const Model = MODELS[`${data.apiVersion}/${data.kind}` as keyof typeof MODELS];
      expect(Model, `${file}: ${data.apiVersion} ${data.kind}`).toBeDefined();
      expect(() => new Model(data as never).validate(), `${file}: ${data.kind}`).not.toThrow();
    }
  });

  it('catches a wrong field type, so the validation is real', () => {
    const worker = named('Deployment', 'worker') as K8sObject;
    const broken = structuredClone(worker) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'ten';
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas/);
    const scaled = structuredClone(named('ScaledObject', 'worker')) as unknown as { spec: object };
    delete (scaled.spec as { triggers?: unknown }).triggers;
    expect(() => new ScaledObject(scaled as never).validate()).toThrow(/triggers/);
  });

  it('lists in kustomization.yaml every file but the per-run producer Job', () => {
    expect([...kustomization.resources].sort()).toEqual(
      files.filter((f) => f !== 'producer-job.yaml').sort(),
    );
  });

  it('selects each Service its pods, on a port they name', () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = service.spec?.selector as Record<string, string>;
      const [target, ...more] = workloads.filter((w) =>
        Object.entries(selector).every(([k, v]) => w.spec?.template?.metadata.labels[k] === v),
      );
      expect(more, service.metadata.name).toEqual([]);
      expect(target, service.metadata.name).toBeDefined();
      const ports = target?.spec?.template?.spec.containers.flatMap((c) => c.ports ?? []) ?? [];
      for (const port of service.spec?.ports ?? []) {
        expect(ports.map((p) => p.name)).toContain(port.targetPort);
      }
      const matchLabels = (target?.spec?.selector as { matchLabels: Record<string, string> }).matchLabels;
      expect(matchLabels).toEqual(selector);
    }
  });

  it('runs only CLI commands, from pinned images, with the topology from the ConfigMap over .env', () => {
    const known = new Set(buildProgram().commands.map((c) => c.name()));
    for (const container of containers) {
      expect(container.image, container.name).toMatch(/^[a-z0-9./-]+:[0-9][\w.-]*$/);
      if (container.name === 'redis') {
        continue;
      }
      expect(known, container.name).toContain(container.args?.[0]);
      // The ConfigMap comes last, so its REDIS_URL wins over the one a copied .env.example holds.
      expect(container.envFrom?.at(-1), container.name).toEqual({ configMapRef: { name: 'loadgen' } });
    }
    const config = named('ConfigMap', 'loadgen')?.data ?? {};
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(config.AGENT_SERVICE_URL).toBe('http://agent-service:8000');
    expect(config.LLM_SIM_URL).toBe('http://llm-sim:4010');
  });

  it('keeps Redis on a volume with append-only persistence and noeviction', () => {
    const redis = named('StatefulSet', 'redis');
    expect(redis?.spec?.volumeClaimTemplates).toHaveLength(1);
    const args = redis?.spec?.template?.spec.containers[0]?.args?.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
  });

  it("autoscales the workers with KEDA on the BullMQ queue's wait and active lists", () => {
    const scaled = named('ScaledObject', 'worker');
    expect(named('Deployment', scaled?.spec?.scaleTargetRef?.name ?? '')).toBeDefined();
    const triggers = scaled?.spec?.triggers ?? [];
    // The worker's queue prefix is REDIS_PREFIX, whose default is `loadgen` (see .env.example).
    expect(readFileSync('.env.example', 'utf8')).toMatch(/^REDIS_PREFIX=loadgen$/m);
    expect(triggers.map((t) => [t.type, t.metadata.listName])).toEqual([
      ['redis', `loadgen:${QUERY_QUEUE}:wait`],
      ['redis', `loadgen:${QUERY_QUEUE}:active`],
    ]);
    const worker = named('Deployment', 'worker')?.spec?.template?.spec;
    const env = Object.fromEntries((worker?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    for (const trigger of triggers) {
      expect(trigger.metadata.address).toBe('redis:6379');
      expect(trigger.metadata.listLength).toBe(env.WORKER_CONCURRENCY);
    }
    // A worker scaled down drains for WORKER_SHUTDOWN_SECONDS before Kubernetes' SIGKILL.
    expect(worker?.terminationGracePeriodSeconds).toBeGreaterThan(Number(env.WORKER_SHUTDOWN_SECONDS));
  });
});
