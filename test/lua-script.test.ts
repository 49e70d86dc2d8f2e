import { afterEach, describe, expect, it } from 'vitest';
import { LuaScript } from '../shared/lua-script.js';
import type { Redis } from 'ioredis';
import { createRedis } from '../shared/redis.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

/**
 * Records every command the connection sends (pipelined ones included); `names()` gives them as written (a
 * script command becomes EVAL or EVALSHA only when written).
 */
function recordCommands(redis: Redis): { names(): string[]; clear(): void } {
  let sent: { name: string }[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    sent.push(command);
    return send(command, stream);
  };
  return { names: () => sent.map((c) => c.name), clear: () => (sent = []) };
}

describe('LuaScript', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  it('sends its text once per connection, then EVALSHA, again after a SCRIPT FLUSH, in pipelines too', async () => {
    const redis = createRedis(testRedisUrl());
    close = () => redis.quit();
    const key = `${testPrefix()}:lua`;
    const script = new LuaScript('testIncrBy', 1, "return redis.call('INCRBY', KEYS[1], ARGV[1])");
    script.define(redis);
    await redis.ping();
    const sent = recordCommands(redis);
    expect(await script.run(redis, key, 2)).toBe(2);
    expect(await script.run(redis, key, 3)).toBe(5);
    const pipeline = redis.pipeline();
    script.queue(pipeline, key, 4);
    script.queue(pipeline, key, 1);
    expect(await pipeline.exec()).toEqual([
      [null, 9],
      [null, 10],
    ]);
    expect(sent.names()).toEqual(['eval', 'evalsha', 'evalsha', 'evalsha']);
    // Redis lost its scripts (as after a restart): NOSCRIPT, and the text is sent again.
    await redis.script('FLUSH');
    sent.clear();
    expect(await script.run(redis, key, 1)).toBe(11);
    expect(sent.names()).toEqual(['evalsha', 'eval']);
    await redis.del(key);
  });

  it('refuses a pipeline of a connection it was not defined on, naming itself', async () => {
    const redis = createRedis(testRedisUrl());
    close = () => redis.quit();
    const script = new LuaScript('testUndefined', 0, 'return 1');
    expect(() => script.queue(redis.pipeline())).toThrow('Lua script testUndefined is not defined');
  });
});
