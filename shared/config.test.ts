import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, launchDarklyEnv, llmEnv, parseEnv } from './config.js';
import { ConfigError } from './errors.js';

const schema = z.object({
  ...commonEnv,
  ...launchDarklyEnv,
  ...llmEnv,
  PORT: z.coerce.number().int().min(1).max(65535),
});

describe('parseEnv', () => {
  it('applies defaults and parses good values', () => {
    const config = parseEnv(schema, { PORT: '8080', LLM_SIM_URL: 'http://127.0.0.1:4010' });
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.port).toBe(8080);
    expect(config.logLevel).toBe('info');
    expect(config.openaiApiKey).toBeUndefined();
  });

  it.each([
    [{ PORT: '8080', REDIS_URL: 'http://nope' }, 'REDIS_URL'],
    [{ PORT: '8080', LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ PORT: '99999' }, 'PORT'],
    [{ PORT: '8080', LLM_SIM_URL: 'not a url' }, 'LLM_SIM_URL'],
    [{ PORT: '8080', REDIS_PREFIX: 'has space' }, 'REDIS_PREFIX'],
  ])('names the bad variable in %j', (env, name) => {
    expect(() => parseEnv(schema, env)).toThrow(ConfigError);
    expect(() => parseEnv(schema, env)).toThrow(new RegExp(`^invalid environment:\\n  ${name}: `));
  });

  it('reads LLM_SIM_URL=off as no simulator, as an empty one', () => {
    expect(parseEnv(schema, { PORT: '1', LLM_SIM_URL: 'off' }).llmSimUrl).toBeUndefined();
    expect(parseEnv(schema, { PORT: '1', LLM_SIM_URL: '' }).llmSimUrl).toBeUndefined();
  });

  it('says when a required variable is not set', () => {
    expect(() => parseEnv(schema, {})).toThrow(/PORT: .*\(it is not set\)/);
  });

  it('never echoes a secret value in its message', () => {
    const secretSchema = z.object({ OPENAI_API_KEY: z.string().startsWith('sk-') });
    try {
      parseEnv(secretSchema, { OPENAI_API_KEY: 'leaky-secret-value' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('OPENAI_API_KEY');
      expect((err as Error).message).not.toContain('leaky-secret-value');
    }
  });
});
