import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ResultRecord } from '../shared/result-record.js';
import { loadConfig as loadWorkerConfig, startWorker, type WorkerHandle } from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { lintFamily, parseExposition, selectableNames, type MetricFamily } from './metrics-exposition.js';
import { WorkerStack } from './worker-stack.js';

/**
 * prom-client's default Node metrics that promtool's `_total` rule flags (gauges named `..._total` by
 * prom-client itself); every metric of ours passes every rule.
 */
const PROM_CLIENT_GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

interface Service {
  image?: string;
  command?: string[];
  profiles?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

interface Panel {
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const DASHBOARD_FILE = 'deploy/grafana/dashboards/loadgen.json';
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; datasource?: { uid: string }; query: { query: string } }[] };
};

/** Grafana's variables made concrete, so that the query parses as plain PromQL. */
function concrete(expr: string): string {
  return expr.replace(/\$__(range|rate_interval|interval)\b/g, '5m');
}

/** The metric names and label names a query uses, and its syntax errors, from the Prometheus parser. */
function analyse(expr: string): { metrics: string[]; labels: string[]; errors: string[] } {
  const text = concrete(expr);
  const cursor = parser.parse(text).cursor();
  const out = { metrics: [] as string[], labels: [] as string[], errors: [] as string[] };
  do {
    const slice = text.slice(cursor.from, cursor.to);
    if (cursor.type.isError) {
      out.errors.push(`at ${cursor.from}: "${text.slice(cursor.from, cursor.from + 20)}"`);
    } else if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
      out.metrics.push(slice);
    } else if (cursor.name === 'LabelName') {
      out.labels.push(slice);
    }
  } while (cursor.next());
  return out;
}

describe('metrics: one loadgen_ namespace, promtool rules, per-arm labels, the Grafana board and Prometheus config', () => {
  let records: ResultRecord[] = [];
  const families = { worker: new Map<string, MetricFamily>(), agent: new Map<string, MetricFamily>() };
  const all = () => [...families.worker.values(), ...families.agent.values()];

  // Scraped once, after a run of 8 jobs; everything is closed again before the checks.
  beforeAll(async () => {
    const stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix: testPrefix('met') });
    let worker: WorkerHandle | undefined;
    try {
      worker = await startWorker({
        config: loadWorkerConfig(stack.workerEnv()),
        metricsPort: 0,
        concurrency: 4,
        tty: false,
      });
      await stack.createRun('r1', 8);
      await stack.enqueue('r1', 8);
      records = await stack.waitForResults('r1', 8);
      const scrape = async (url: string) => parseExposition(await (await fetch(url)).text());
      families.worker = await scrape(`http://127.0.0.1:${worker.metricsPort}/metrics`);
      families.agent = await scrape(`${stack.agent.url}/metrics`);
    } finally {
      await worker?.close();
      await stack.close();
    }
  }, 120_000);

  it('names every metric of the worker and the agent service loadgen_worker_* or loadgen_agent_*', () => {
    expect([...families.worker.keys()].filter((n) => !n.startsWith('loadgen_worker_'))).toEqual([]);
    expect([...families.agent.keys()].filter((n) => !n.startsWith('loadgen_agent_'))).toEqual([]);
    expect(families.agent.has('loadgen_agent_chat_requests_total')).toBe(true);
    expect(families.agent.has('loadgen_agent_process_cpu_seconds_total')).toBe(true);
  });

  it("passes promtool's `check metrics` rules", () => {
    const problems = all()
      .filter((f) => !PROM_CLIENT_GAUGES_NAMED_TOTAL.some((name) => f.name.endsWith(name)))
      .flatMap((f) => lintFamily(f).map((p) => `${f.name}: ${p}`));
    expect(problems).toEqual([]);
    // The rules do catch what they are for.
    const family = (name: string, type: string): MetricFamily => ({
      name,
      type,
      help: 'h',
      labels: new Set(['runId']),
      samples: [],
    });
    expect(lintFamily(family('agent:latency_milliseconds', 'counter'))).toEqual(
      expect.arrayContaining([
        "metric names should not contain ':'",
        'counter metrics should have "_total" suffix',
        'use base unit "seconds" instead of "milliseconds"',
        "label runId: label names should be written in 'snake_case' not 'camelCase'",
      ]),
    );
  });

  it('labels jobs by run and outcome, and completed jobs by experiment arm (AI Config, variation) and verdict', () => {
    const jobs = families.worker.get('loadgen_worker_jobs_total');
    expect(jobs?.samples).toContainEqual(
      expect.objectContaining({ labels: { run: 'r1', outcome: 'completed' }, value: 8 }),
    );
    const arms = families.worker.get('loadgen_worker_arm_jobs_total')?.samples ?? [];
    const cost = families.worker.get('loadgen_worker_arm_request_cost_usd_total')?.samples ?? [];
    const latency = families.worker.get('loadgen_worker_arm_chat_latency_seconds')?.samples ?? [];
    for (const config of ['supervisor-agent', 'support-agent']) {
      const expected = new Map<string, number>();
      const expectedCost = new Map<string, number>();
      for (const record of records) {
        const variation = record.variations[config] as string;
        expected.set(
          `${variation}|${record.feedback}`,
          (expected.get(`${variation}|${record.feedback}`) ?? 0) + 1,
        );
        expectedCost.set(variation, (expectedCost.get(variation) ?? 0) + (record.requestCostUsd ?? 0));
      }
      const counted = new Map(
        arms
          .filter((s) => s.labels.run === 'r1' && s.labels.config === config)
          .map((s) => [`${s.labels.variation}|${s.labels.verdict}`, s.value]),
      );
      expect(counted, config).toEqual(expected);
      for (const [variation, usd] of expectedCost) {
        const sample = cost.find((s) => s.labels.config === config && s.labels.variation === variation);
        expect(sample?.value, `${config}/${variation} cost`).toBeCloseTo(usd, 9);
        const observed = latency.find(
          (s) => s.name.endsWith('_count') && s.labels.config === config && s.labels.variation === variation,
        );
        const served = records.filter((r) => r.variations[config] === variation).length;
        expect(observed?.value, `${config}/${variation} latency count`).toBe(served);
      }
    }
  });

  it('builds every Grafana panel from metrics and labels the processes expose, on the provisioned datasource', () => {
    const datasources = parse(
      readFileSync('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8'),
    ) as { datasources: { uid: string; type: string; url: string }[] };
    const [source] = datasources.datasources;
    expect(source?.type).toBe('prometheus');
    const byName = new Map(all().flatMap((f) => selectableNames(f).map((n) => [n, f] as const)));

    const queries: { where: string; expr: string; uid: string | undefined }[] = [];
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource?.uid, panel.title).toBe(source?.uid);
      for (const target of panel.targets ?? []) {
        queries.push({ where: panel.title, expr: target.expr, uid: target.datasource?.uid });
      }
    }
    for (const { where, expr, uid } of queries) {
      expect(uid, where).toBe(source?.uid);
      const { metrics, labels, errors } = analyse(expr);
      expect(errors, `${where}: ${expr}`).toEqual([]);
      expect(metrics.length, where).toBeGreaterThan(0);
      const known = new Set(['le']);
      for (const metric of metrics) {
        const family = byName.get(metric);
        expect(family, `${where}: ${metric} is not exposed`).toBeDefined();
        family?.labels.forEach((l) => known.add(l));
      }
      expect(
        labels.filter((l) => !known.has(l)),
        `${where}: labels its metrics do not have`,
      ).toEqual([]);
    }
    // Template variables: label_values(metric, label) of an exposed metric and label.
    for (const variable of dashboard.templating.list) {
      expect(variable.datasource?.uid, variable.name).toBe(source?.uid);
      const match = /^label_values\((\w+), *(\w+)\)$/.exec(variable.query.query);
      expect(match, variable.query.query).not.toBeNull();
      expect(byName.get(match?.[1] as string)?.labels.has(match?.[2] as string), variable.name).toBe(true);
    }
    // Throughput, latency percentiles, failures, spend and feedback per arm are all on the board.
    const exprs = queries.map((q) => q.expr).join('\n');
    expect(exprs).toMatch(/rate\(loadgen_worker_jobs_total/);
    expect(exprs).toMatch(/histogram_quantile\(0\.99, .*loadgen_worker_chat_latency_seconds_bucket/);
    expect(exprs).toMatch(/outcome=~"failed/);
    expect(exprs).toMatch(/by \(variation\) \(rate\(loadgen_worker_arm_request_cost_usd_total/);
    expect(exprs).toMatch(/verdict="positive"/);
  });

  it('has Prometheus scrape every worker (Docker DNS) and the agent service, in an opt-in compose profile', () => {
    const services = compose.services;
    const prometheus = services.prometheus as Service;
    const grafana = services.grafana as Service;
    for (const service of [prometheus, grafana]) {
      expect(service.profiles).toEqual(['observability']);
      expect(service.image).toMatch(/^(prom\/prometheus|grafana\/grafana):v?\d+/);
    }
    // Plain `up` starts neither, and nothing it starts waits for them.
    for (const [name, service] of Object.entries(services)) {
      if (!service.profiles) {
        expect(Object.keys(service.depends_on ?? {}), name).not.toContain('prometheus');
        expect(Object.keys(service.depends_on ?? {}), name).not.toContain('grafana');
      }
    }

    // Prometheus reads the file the repository holds, where its command says.
    const configFile = prometheus.command?.find((a) => a.startsWith('--config.file='))?.split('=')[1];
    const mount = (service: Service, target: string) =>
      service.volumes?.map((v) => v.split(':')).find(([, t]) => t === target)?.[0];
    const configSource = mount(prometheus, configFile as string) as string;
    expect(configSource).toBe('./deploy/prometheus/prometheus.yml');
    const config = parse(readFileSync(configSource, 'utf8')) as {
      scrape_configs: {
        job_name: string;
        metrics_path?: string;
        dns_sd_configs?: { names: string[]; type: string; port: number }[];
        static_configs?: { targets: string[] }[];
      }[];
    };
    const job = (name: string) => config.scrape_configs.find((j) => j.job_name === name);
    const workers = job('worker')?.dns_sd_configs?.[0];
    expect(workers?.names).toEqual(['worker']);
    expect(workers?.type).toBe('A');
    expect(services.worker).toBeDefined();
    // The port a worker serves /metrics on by default (compose sets none).
    expect(workers?.port).toBe(loadWorkerConfig({}).workerMetricsPort);
    expect(services.worker?.environment?.WORKER_METRICS_PORT).toBeUndefined();
    const agentCommand = services['agent-service']?.command ?? [];
    const agentPort = agentCommand[agentCommand.indexOf('--port') + 1];
    expect(job('agent-service')?.static_configs?.[0]?.targets).toEqual([`agent-service:${agentPort}`]);
    for (const scrape of config.scrape_configs) {
      expect(scrape.metrics_path ?? '/metrics').toBe('/metrics');
    }

    // Grafana: datasource at the prometheus service, provisioning and dashboards mounted where they point.
    const datasource = parse(
      readFileSync('deploy/grafana/provisioning/datasources/prometheus.yml', 'utf8'),
    ) as { datasources: { url: string }[] };
    const listen = prometheus.command?.find((a) => a.startsWith('--web.listen-address='));
    expect(listen ?? '--web.listen-address=0.0.0.0:9090').toMatch(/:9090$/);
    expect(datasource.datasources[0]?.url).toBe('http://prometheus:9090');
    expect(mount(grafana, '/etc/grafana/provisioning')).toBe('./deploy/grafana/provisioning');
    const provider = parse(readFileSync('deploy/grafana/provisioning/dashboards/loadgen.yml', 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const path = provider.providers[0]?.options.path as string;
    const dashboards = mount(grafana, path) as string;
    expect(dashboards).toBe('./deploy/grafana/dashboards');
    expect(existsSync(join(dashboards, 'loadgen.json'))).toBe(true);
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    expect(home.startsWith(`${path}/`)).toBe(true);
    expect(existsSync(join(dashboards, home.slice(path.length + 1)))).toBe(true);
  });
});
