import { readFileSync } from 'node:fs';
import { parseEnv as parseDotEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig as agentConfig } from '../agent-service/config.js';
import { loadConfig as dashboardConfig } from '../dashboard/config.js';
import { loadConfig as producerConfig } from '../producer/config.js';
import { llmSettingsFrom } from '../shared/config.js';
import { llmMode } from '../shared/llm/clients.js';
import { loadConfig as workerConfig } from '../worker/config.js';

type Vars = Record<string, string | undefined>;

/**
 * Compose's interpolation of one string (compose-spec "Interpolation"): `$$` is a literal `$`; `${VAR:-d}` and
 * `${VAR-d}` default when VAR is unset or empty / only when unset; `${VAR:?e}` and `${VAR?e}` fail likewise;
 * `${VAR:+r}` and `${VAR+r}` replace when set and non-empty / set; `${VAR}` and `$VAR` substitute ('' when unset).
 */
function interpolate(text: string, vars: Vars): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') {
        return '$';
      }
      const key = (name ?? bare) as string;
      const value = vars[key];
      const unset = colon ? value === undefined || value === '' : value === undefined;
      switch (op) {
        case '-':
          return unset ? interpolate(arg ?? '', vars) : (value as string);
        case '?':
          if (unset) {
            throw new Error(`required variable ${key} is missing a value: ${arg}`);
          }
          return value as string;
        case '+':
          return unset ? '' : interpolate(arg ?? '', vars);
        default:
          return value ?? '';
      }
    },
  );
}

function interpolateTree(node: unknown, vars: Vars): unknown {
  if (typeof node === 'string') {
    return interpolate(node, vars);
  }
  if (Array.isArray(node)) {
    return node.map((item) => interpolateTree(item, vars));
  }
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTree(v, vars)]));
  }
  return node;
}

interface Service {
  env_file?: { path: string; required: boolean }[];
  environment?: Record<string, string>;
  /** Opt-in services (Prometheus, Grafana): not loadgen processes. */
  profiles?: string[];
}

/**
 * Each app service's environment as `docker compose up` gives it, when `.env` holds `dotEnv` and the shell sets
 * nothing: the file is both the interpolation source and the services' `env_file`; `environment` wins over it.
 */
function serviceEnvironments(dotEnv: string): Record<string, Vars> {
  const vars = parseDotEnv(dotEnv);
  const compose = interpolateTree(
    parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }),
    vars,
  ) as {
    services: Record<string, Service>;
  };
  const result: Record<string, Vars> = {};
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === 'redis' || service.profiles) {
      continue;
    }
    expect(service.env_file, name).toEqual([{ path: '.env', required: false }]);
    result[name] = { ...vars, ...service.environment };
  }
  return result;
}

const example = readFileSync('.env.example', 'utf8');
/** The README's Docker quick start: `cp .env.example .env && echo DASHBOARD_PASSWORD=change-me >> .env`. */
const quickStart = `${example}\nDASHBOARD_PASSWORD=change-me\n`;

describe('compose interpolation rules, as this test models them', () => {
  it('tells an empty variable from an unset one', () => {
    expect(interpolate('${X-d}', { X: '' })).toBe('');
    expect(interpolate('${X:-d}', { X: '' })).toBe('d');
    expect(interpolate('${X-d}', {})).toBe('d');
    expect(interpolate('${X:?say so}', { X: 'v' })).toBe('v');
    expect(() => interpolate('${X:?say so}', { X: '' })).toThrow(/X .*say so/);
    expect(interpolate('$$X ${X:+on}', { X: '1' })).toBe('$X on');
  });
});

describe('the Docker quick start', () => {
  it('gives the simulated mode to every service after `cp .env.example .env`', () => {
    const environments = serviceEnvironments(quickStart);
    expect(Object.keys(environments).sort()).toEqual(
      ['agent-service', 'dashboard', 'llm-sim', 'producer', 'worker'].sort(),
    );
    for (const [name, env] of Object.entries(environments)) {
      expect(env.LLM_SIM_URL, name).toBe('http://llm-sim:4010');
      expect(env.REDIS_URL, name).toBe('redis://redis:6379');
    }
    const agent = agentConfig(environments['agent-service']);
    expect(llmMode(llmSettingsFrom(agent))).toBe('simulated');
    expect(llmMode(llmSettingsFrom(workerConfig(environments.worker)))).toBe('simulated');
    expect(llmMode(llmSettingsFrom(producerConfig(environments.producer)))).toBe('simulated');
    expect(workerConfig(environments.worker).agentServiceUrl).toBe('http://agent-service:8000');
    expect(dashboardConfig(environments.dashboard).dashboardPassword).toBe('change-me');
  });

  it('goes live with one switch, LLM_SIM_URL=off, and passes the keys on', () => {
    const live = quickStart
      .replace(/^LLM_SIM_URL=.*$/m, 'LLM_SIM_URL=off')
      .replace(/^OPENAI_API_KEY=.*$/m, 'OPENAI_API_KEY=test-openai-key')
      .replace(/^ANTHROPIC_API_KEY=.*$/m, 'ANTHROPIC_API_KEY=test-anthropic-key');
    const environments = serviceEnvironments(live);
    const agent = agentConfig(environments['agent-service']);
    expect(llmMode(llmSettingsFrom(agent))).toBe('live');
    expect(agent.anthropicApiKey).toBe('test-anthropic-key');
    const worker = workerConfig(environments.worker);
    expect(llmMode(llmSettingsFrom(worker))).toBe('live');
    expect(worker.openaiApiKey).toBe('test-openai-key');
    expect(llmMode(llmSettingsFrom(producerConfig(environments.producer)))).toBe('live');
  });

  it('turns tracing on in every traced process with OTEL_EXPORTER_OTLP_ENDPOINT in .env', () => {
    const environments = serviceEnvironments(
      `${quickStart}\nOTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318\n`,
    );
    const endpoint = 'http://collector:4318';
    expect(agentConfig(environments['agent-service']).otelExporterOtlpEndpoint).toBe(endpoint);
    expect(workerConfig(environments.worker).otelExporterOtlpEndpoint).toBe(endpoint);
    expect(producerConfig(environments.producer).otelExporterOtlpEndpoint).toBe(endpoint);
  });

  it('refuses to start without a dashboard password, naming it', () => {
    expect(() => serviceEnvironments(example)).toThrow(/DASHBOARD_PASSWORD/);
  });
});
