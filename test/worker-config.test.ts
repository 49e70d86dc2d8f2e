import { describe, expect, it } from 'vitest';
import { ConfigError } from '../shared/errors.js';
import { judgeProvider, loadConfig } from '../worker/config.js';
import { formatJobLine } from '../worker/job-output.js';
import { failureKind } from '../worker/retry-policy.js';
import { parseRetryAfter } from '../worker/step-error.js';
import { STALL_SETTINGS } from '../worker/stall-settings.js';
import { truncateMiddle, judgeUserMessage } from '../worker/judge-prompt.js';

describe('worker configuration', () => {
  it('defaults to the shared stall settings, the Haiku judge and a 120 s chat deadline', () => {
    const config = loadConfig({});
    expect({
      lockDuration: config.workerLockDurationMs,
      stalledInterval: config.workerStalledIntervalMs,
      maxStalledCount: config.workerMaxStalledCount,
    }).toEqual(STALL_SETTINGS);
    expect(config.judgeModel).toBe('claude-haiku-4-5');
    expect(judgeProvider(config)).toBe('anthropic');
    expect(config.chatTimeoutSeconds).toBe(120);
    expect(config.workerMetricsPort).toBe(9464);
    expect(config.workerMaxRps).toBeUndefined();
  });

  it('treats the empty values of .env.example as unset and "off" as no metrics endpoint', () => {
    const config = loadConfig({ WORKER_MAX_RPS: '', JUDGE_PROVIDER: '', WORKER_METRICS_PORT: 'off' });
    expect(config.workerMaxRps).toBeUndefined();
    expect(config.judgeProvider).toBeUndefined();
    expect(config.workerMetricsPort).toBeNull();
  });

  it('names each bad variable', () => {
    const bad = {
      CHAT_TIMEOUT_SECONDS: '2001',
      WORKER_CONCURRENCY: '0',
      AGENT_SERVICE_URL: 'not a url',
      WORKER_MAX_RPS: '-1',
      WORKER_METRICS_PORT: 'ninety',
    };
    let message = '';
    try {
      loadConfig(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const name of Object.keys(bad)) {
      expect(message).toContain(`${name}:`);
    }
  });

  it('infers the judge provider from the model name, or asks for JUDGE_PROVIDER', () => {
    expect(judgeProvider({ judgeModel: 'gpt-4o-mini', judgeProvider: undefined })).toBe('openai');
    expect(judgeProvider({ judgeModel: 'mistral-small-latest', judgeProvider: undefined })).toBe('mistral');
    expect(judgeProvider({ judgeModel: 'my-judge', judgeProvider: 'openai' })).toBe('openai');
    expect(() => loadConfig({ JUDGE_MODEL: 'my-judge' })).toThrow(/JUDGE_PROVIDER/);
  });
});

describe('worker helpers', () => {
  it('reads Retry-After as seconds or an HTTP date, capped', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('99999')).toBe(300_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('has one retry policy for HTTP answers: rate limits pause, 408/5xx/network retry, other 4xx fail', () => {
    expect([429, 529].map((s) => failureKind(s, undefined))).toEqual(['rate-limited', 'rate-limited']);
    expect(failureKind(503, 2000)).toBe('rate-limited');
    expect([503, 500, 504, 408, undefined].map((s) => failureKind(s, undefined))).toEqual(
      Array(5).fill('retryable'),
    );
    expect([400, 401, 404, 413, 422].map((s) => failureKind(s, undefined))).toEqual(Array(5).fill('fatal'));
  });

  it('cuts the middle out of long texts, keeping the end (where llm-sim puts its quality marker)', () => {
    const answer = `${'a'.repeat(5000)} [[sim:p=0.6,n=0.2]]`;
    const cut = truncateMiddle(answer, 1000);
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut.endsWith('[[sim:p=0.6,n=0.2]]')).toBe(true);
    expect(cut).toMatch(/\[\.\.\. \d+ characters omitted \.\.\.\]/);
    expect(truncateMiddle('short', 1000)).toBe('short');
    const message = judgeUserMessage('q'.repeat(10_000), answer, 4000);
    expect(message.length).toBeLessThanOrEqual(4000 + 40);
    expect(message).toContain('[[sim:p=0.6,n=0.2]]');
  });

  it('prints one tutorial-style line per job', () => {
    const line = formatJobLine({
      jobId: 'r.11',
      runId: 'r',
      status: 'completed',
      done: 12,
      total: 200,
      latencyMs: 23_400,
      segment: 'other-paid',
      query: 'What is Q-learning?',
      verdict: 'positive',
    });
    expect(line).toBe('✅ [12/200] 23.4s other-paid: What is Q-learning? (positive)');
    expect(
      formatJobLine({
        jobId: 'r.1',
        runId: 'r',
        status: 'failed',
        done: 3,
        total: null,
        query: 'Q',
        error: 'budget exhausted',
      }),
    ).toBe('❌ [3] -: Q — budget exhausted');
  });
});
