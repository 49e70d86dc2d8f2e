import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, isSecretField, redactUrl, redactUrlsIn } from './logger.js';

const SECRET_FIELDS = [
  'LD_SDK_KEY',
  'LD_API_TOKEN',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'MISTRAL_API_KEY',
  'SOME_FUTURE_API_KEY',
  'DASHBOARD_PASSWORD',
  'sdkKey',
  'apiKey',
  'api_key',
  'apiToken',
  'token',
  'password',
  'authorization',
  'Authorization',
  'x-api-key',
  'cookie',
];

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ destination: stream, level: 'debug' }), lines };
}

const SECRET = 'sk-super-secret-value-1234567890';

describe('logger', () => {
  it.each(SECRET_FIELDS)('redacts %s at the top level and nested', (field) => {
    const { logger, lines } = capture();
    logger.info({ [field]: SECRET, nested: { [field]: SECRET, deeper: { [field]: SECRET } } }, 'hello');
    logger.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain('[redacted]');
  });

  it('redacts an authorization header inside a logged request', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET } } });
    expect(lines[0]).not.toContain(SECRET);
  });

  it('redacts secrets in arrays and child bindings, and leaves other fields and the input alone', () => {
    const { logger, lines } = capture();
    const input = {
      servers: [{ url: 'http://mcp', apiKey: SECRET }],
      tokens: { input: 10, total: 15 },
      timeToFirstTokenMs: 5,
    };
    logger.child({ password: SECRET }).info(input);
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      tokens: { input: 10, total: 15 },
      timeToFirstTokenMs: 5,
    });
    expect(input.servers[0]?.apiKey).toBe(SECRET);
  });

  it('drops the arguments of a failed Redis command (AUTH carries the password) from logged errors', () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error('WRONGPASS invalid username-password pair'), {
      command: { name: 'auth', args: ['default', SECRET] },
    });
    logger.error({ err }, 'redis failed');
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      err: { message: err.message, command: { name: 'auth' } },
    });
  });

  it('tells secret field names from others', () => {
    expect(
      ['tokens', 'inputTokens', 'timeToFirstTokenMs', 'key', 'userKey', 'configKey'].filter(isSecretField),
    ).toEqual([]);
  });

  it('writes JSON lines with the level and message when not a TTY', () => {
    const { logger, lines } = capture();
    logger.child({ jobId: 'r.1' }).warn('slow');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 40, msg: 'slow', jobId: 'r.1' });
  });

  it('removes passwords from URLs', () => {
    expect(redactUrl('redis://:hunter2@redis.example:6379/0')).toBe('redis://:***@redis.example:6379/0');
    expect(redactUrl('redis://user:hunter2@redis.example:6379')).not.toContain('hunter2');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('masks the credentials of every URL in any logged string, whatever the field is called', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        agentService: 'http://svc:s3cret-agent@agent.example:8000',
        launchDarklyEvents: 'local events endpoint https://ev:s3cret-events@events.example/bulk',
        nested: { llm: ['simulated (http://tok-only@sim.example:9000)'] },
        redis: 'rediss://default:s3cret-redis@redis.example:6380/0',
      },
      'worker started',
    );
    const line = lines[0] as string;
    for (const secret of ['s3cret-agent', 's3cret-events', 'tok-only', 's3cret-redis']) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line)).toMatchObject({
      agentService: 'http://svc:***@agent.example:8000',
      launchDarklyEvents: 'local events endpoint https://ev:***@events.example/bulk',
      nested: { llm: ['simulated (http://***@sim.example:9000)'] },
      redis: 'rediss://default:***@redis.example:6380/0',
    });
    expect(redactUrlsIn('see https://example.com/a@b and mail x@y.z')).toBe(
      'see https://example.com/a@b and mail x@y.z',
    );
  });
});
