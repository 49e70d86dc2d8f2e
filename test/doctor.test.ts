import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runDoctor } from '../doctor/run-doctor.js';
import { registerRunCommand } from '../producer/command.js';
import { restLines, type RestReader } from '../doctor/launchdarkly-checks.js';
import { servableVariations } from '../doctor/servable.js';
import { startLlmSim, type LlmSim } from '../llm-sim/index.js';
import { writeFlagFile } from '../shared/flag-file.js';
import { loadManifest, type Manifest } from '../shared/manifest.js';
import { dataPath, packageRoot } from '../shared/paths.js';
import { maintainedPrice, PriceTable } from '../shared/pricing.js';
import { loadExperiments } from '../readout/experiments.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RedisServer } from '../shared/redis-server.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

let sim: LlmSim;
let dir: string;

beforeAll(async () => {
  sim = await startLlmSim();
  dir = mkdtempSync(join(tmpdir(), 'doctor-test-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the shipped manifest, changed by `change`, written to a file. */
function manifestFile(name: string, change: (m: Manifest) => void): string {
  const manifest = structuredClone(loadManifest());
  change(manifest);
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(manifest));
  return path;
}

const baseEnv = () => ({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: testPrefix('doc'), LLM_SIM_URL: sim.url });
const failing = (report: { lines: { ok: boolean; check: string; subject: string }[] }) =>
  report.lines.filter((l) => !l.ok).map((l) => `${l.check} ${l.subject}`);

describe('servableVariations', () => {
  it('lists what some segment can be served: fixed rules, both arms of a rollout, not an unreached fallthrough', () => {
    const served = servableVariations(loadManifest()).map((v) => `${v.configKey}/${v.variationKey}`);
    expect(served).toEqual([
      'supervisor-agent/default',
      'security-agent/baseline',
      'security-agent/enhanced',
      'support-agent/eu-free',
      'support-agent/eu-paid',
      'support-agent/other-free',
      'support-agent/other-paid',
      'support-agent/claude-opus-treatment',
    ]);
  });
});

describe('loadgen doctor', () => {
  it('passes on the local default (starting its own llm-sim), one line per served variation', async () => {
    const { LLM_SIM_URL: _sim, ...env } = baseEnv();
    const report = await runDoctor({ env });
    expect(failing(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.mode).toBe('simulated');
    const aiConfigs = report.lines.filter((l) => l.check === 'ai-config').map((l) => l.subject);
    expect(aiConfigs).toHaveLength(8);
    expect(report.served.every((s) => s.user !== undefined)).toBe(true);
    const opus = report.served.find((s) => s.variation.variationKey === 'claude-opus-treatment');
    expect(opus?.user?.segment).toBe('other-paid');
    expect(opus?.config?.model).toBe('claude-opus-5-5');
  });

  it('fails the provider line for a missing key in live mode, naming the variable', async () => {
    const manifest = manifestFile('all-anthropic', (m) => {
      for (const config of Object.values(m.configs)) {
        for (const v of Object.values(config.variations)) {
          v.provider = 'anthropic';
          v.model.name = 'claude-sonnet-5';
        }
      }
    });
    const { LLM_SIM_URL: _sim, ...env } = baseEnv();
    const report = await runDoctor({ env: { ...env, OPENAI_API_KEY: 'sk-test' }, manifestPath: manifest });
    expect(report.mode).toBe('live');
    expect(failing(report)).toEqual(['provider anthropic']);
    const line = report.lines.find((l) => !l.ok);
    expect(line?.detail).toMatch(/ANTHROPIC_API_KEY is not set/);
    expect(line?.fix).toMatch(/ANTHROPIC_API_KEY/);
  });

  it("fails the model line (and its price) for a model llm-sim's profile lacks", async () => {
    const manifest = manifestFile('unknown-model', (m) => {
      m.configs['support-agent']!.variations['other-paid']!.model.name = 'gpt-9-imaginary';
    });
    const report = await runDoctor({ env: baseEnv(), manifestPath: manifest });
    expect(failing(report)).toEqual(['model openai gpt-9-imaginary', 'price gpt-9-imaginary']);
    const line = report.lines.find((l) => l.check === 'model' && !l.ok);
    expect(line?.detail).toMatch(/does not know this model id; served by support-agent\/other-paid/);
  });

  it('fails the AI Config lines of a config whose flag is off', async () => {
    const flags = join(dir, 'support-off.json');
    writeFlagFile(loadManifest(), flags, { off: ['support-agent'] });
    const report = await runDoctor({ env: { ...baseEnv(), LD_FLAGS_FILE: flags } });
    const failed = report.lines.filter((l) => !l.ok);
    expect(failed.map((l) => l.subject)).toEqual([
      'support-agent/eu-free',
      'support-agent/eu-paid',
      'support-agent/other-free',
      'support-agent/other-paid',
      'support-agent/claude-opus-treatment',
    ]);
    expect(failed.every((l) => l.check === 'ai-config' && /disabled/.test(l.detail))).toBe(true);
  });

  it('fails the price line of an unpriced model', async () => {
    const raw = JSON.parse(readFileSync(dataPath('pricing.json'), 'utf8')) as {
      models: Record<string, unknown>;
    };
    // The maintained database has no price for Claude Opus 5.5 in this table.
    const maintained = (model: string) => (model === 'claude-opus-5-5' ? undefined : maintainedPrice(model));
    const report = await runDoctor({ env: baseEnv(), prices: new PriceTable(raw, { maintained }) });
    expect(failing(report)).toEqual(['price claude-opus-5-5']);
  });

  it('fails the redis line when maxmemory-policy is not noeviction', async () => {
    const server = await RedisServer.start();
    const redis = createRedis(server.url);
    try {
      await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const report = await runDoctor({ env: { ...baseEnv(), REDIS_URL: server.url } });
      expect(failing(report)).toEqual([`redis ${server.url}`]);
      expect(report.lines.find((l) => !l.ok)?.detail).toMatch(/maxmemory-policy is allkeys-lru/);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });

  it('exits 1 from the CLI when a check fails, printing the line and its fix', async () => {
    const manifest = manifestFile('cli-unknown', (m) => {
      m.configs['supervisor-agent']!.variations.default!.model.name = 'gpt-9-imaginary';
    });
    const child = spawn(
      process.execPath,
      [join(packageRoot, 'dist/cli.js'), 'doctor', '--manifest', manifest],
      {
        env: { PATH: process.env.PATH, ...baseEnv() },
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout).toMatch(/^FAIL\s+model\s+openai gpt-9-imaginary\s+llm-sim does not know/m);
    expect(stdout).toMatch(/fix: use the provider's model id/);
    expect(stdout).toMatch(/doctor: 2 of \d+ checks failed/);
    expect(code).toBe(1);
  });
});

describe('loadgen run in live mode', () => {
  it('runs the doctor first and enqueues nothing when it fails', async () => {
    // Live Anthropic, its real SDK client pointed at llm-sim by the variable the SDK itself reads.
    process.env.ANTHROPIC_BASE_URL = sim.url;
    const prefix = testPrefix('live');
    let stdout = '';
    let stderr = '';
    let exitCode: number | undefined;
    try {
      const program = new Command('loadgen').exitOverride();
      registerRunCommand(program, {
        env: { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, ANTHROPIC_API_KEY: 'sk-ant-test' },
        stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
        stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
        setExitCode: (code) => (exitCode = code),
      });
      await program.parseAsync(['node', 'loadgen', 'run', '--queries', '5', '--run-id', 'live-run']);
    } finally {
      delete process.env.ANTHROPIC_BASE_URL;
    }
    expect(stderr).toMatch(/^ok\s+mode\s+LLMs\s+LIVE/m);
    expect(stderr).toMatch(
      /^FAIL\s+provider\s+openai\s+OPENAI_API_KEY is not set; served by supervisor-agent\/default/m,
    );
    expect(stderr).toMatch(/^FAIL\s+provider\s+mistral\s+MISTRAL_API_KEY is not set/m);
    expect(stderr).toMatch(/^ok\s+model\s+anthropic claude-opus-5-5\s+exists at the provider/m);
    expect(stderr).toMatch(/the preflight failed, nothing enqueued/);
    expect(stdout).toBe('');
    expect(exitCode).toBe(1);
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:check` });
    try {
      expect(await redis.exists(new RedisKeys(prefix).run('live-run'))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('LaunchDarkly REST checks', () => {
  const experiments = loadExperiments();
  /** A REST reader over fixed answers by path (the checks' only dependency). */
  const reader = (answers: Record<string, unknown>): RestReader => ({
    get: async <T>(path: string) => answers[path] as T | undefined,
  });
  const targeting = (ruleId: string) => ({
    _version: 7,
    environments: {
      production: { rules: [{ _id: ruleId, clauses: [{ op: 'segmentMatch', values: ['other-paid'] }] }] },
    },
  });
  const experiment = (flag: string, ruleId: string, version = 7) => ({
    currentIteration: {
      status: 'running',
      flags: { [flag]: { targetingRule: ruleId, flagConfigVersion: version } },
    },
  });
  const answers = (overrides: Record<string, unknown> = {}) => ({
    '/api/v2/projects/p': { key: 'p' },
    ...Object.fromEntries(['a', 'b'].map((k) => [`/api/v2/metrics/p/${k}`, { key: k }])),
    '/api/v2/projects/p/ai-configs/security-agent/targeting': targeting('r1'),
    '/api/v2/projects/p/ai-configs/support-agent/targeting': targeting('r2'),
    '/api/v2/projects/p/environments/production/experiments/security-level': experiment(
      'security-agent',
      'r1',
    ),
    '/api/v2/projects/p/environments/production/experiments/premium-model-value': experiment(
      'support-agent',
      'r2',
    ),
    ...overrides,
  });
  const options = { project: 'p', environment: 'production', metricKeys: ['a', 'b'], experiments };

  it('passes when the project, metrics and running experiments on the current targeting exist', async () => {
    const lines = await restLines(reader(answers()), options);
    expect(lines.filter((l) => !l.ok)).toEqual([]);
    expect(lines.map((l) => `${l.check} ${l.subject}`)).toEqual([
      'ld-project p',
      'ld-metric a',
      'ld-metric b',
      'ld-experiment security-level',
      'ld-experiment premium-model-value',
    ]);
  });

  it('fails a missing metric, a stopped experiment, one on a replaced rule and one on an older version', async () => {
    const stopped = { currentIteration: { status: 'stopped' } };
    const onOldRule = answers({
      '/api/v2/metrics/p/b': undefined,
      '/api/v2/projects/p/environments/production/experiments/security-level': stopped,
      '/api/v2/projects/p/ai-configs/support-agent/targeting': targeting('r3'),
    });
    const lines = await restLines(reader(onOldRule), options);
    expect(lines.filter((l) => !l.ok).map((l) => `${l.subject}: ${l.detail}`)).toEqual([
      'b: does not exist',
      'security-level: is stopped, not running',
      'premium-model-value: runs on rule r2, but other-paid is now served by rule r3',
    ]);
    const oldVersion = answers({
      '/api/v2/projects/p/environments/production/experiments/premium-model-value': experiment(
        'support-agent',
        'r2',
        6,
      ),
    });
    const again = await restLines(reader(oldVersion), options);
    expect(again.filter((l) => !l.ok).map((l) => l.detail)).toEqual([
      'runs on targeting version 6 of support-agent; the current one is 7',
    ]);
  });
});
