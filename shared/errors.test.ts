import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, UserError, userErrorOf } from './errors.js';
import { freePort } from './net.js';

describe('userErrorOf', () => {
  it('keeps a UserError and its exit code (ConfigError: 2)', () => {
    const config = new ConfigError('bad option');
    expect(userErrorOf(config)).toBe(config);
    expect(config.exitCode).toBe(2);
    expect(new UserError('no run').exitCode).toBe(1);
  });

  it('turns a busy port into one line that says what to do', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const second = createServer();
    const err = await new Promise<Error>((resolve) => {
      second.once('error', resolve);
      second.listen(port, '127.0.0.1');
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(userErrorOf(err)?.message).toBe(
      `port 127.0.0.1:${port} is already in use: stop the process that has it or choose another port`,
    );
  });

  it('turns an unreachable API (fetch failed: connection refused) into a user error', async () => {
    const port = await freePort();
    const err = await fetch(`http://127.0.0.1:${port}/`).then(
      () => new Error('answered'),
      (e: unknown) => e as Error,
    );
    const user = userErrorOf(err);
    expect(user?.message).toBe(`connection refused by 127.0.0.1:${port}: is the service running there?`);
    expect(user?.exitCode).toBe(1);
  });

  it('leaves bugs alone', () => {
    expect(userErrorOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(userErrorOf('a string')).toBeUndefined();
  });
});
