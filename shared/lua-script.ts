import type { ChainableCommander, Redis } from 'ioredis';

type ScriptCall = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script run with EVALSHA through ioredis's `defineCommand`: the script's text goes to Redis once per
 * connection (and again after a NOSCRIPT, e.g. when Redis restarted), not with every call as `eval` sends it.
 * On a path run several times per job that is a few hundred bytes per call less to write and for Redis to
 * hash. `define` it on a connection once, before the connection carries any command: pipelines (auto-pipelining
 * included) get the connection's commands when they are made, so one made earlier lacks it.
 */
export class LuaScript {
  constructor(
    /** The command's name on the connection; unique per script. */
    readonly name: string,
    readonly numberOfKeys: number,
    readonly lua: string,
  ) {}

  /** Makes the script a command of `redis` and of the pipelines made from it afterwards (once is enough). */
  define(redis: Redis): void {
    if (typeof (redis as unknown as Record<string, unknown>)[this.name] !== 'function') {
      redis.defineCommand(this.name, { numberOfKeys: this.numberOfKeys, lua: this.lua });
    }
  }

  /** Runs the script on `redis`, where it was defined; `keysThenArgs` are its keys, then its arguments. */
  run(redis: Redis, ...keysThenArgs: (string | number)[]): Promise<unknown> {
    return this.call(redis).apply(redis, keysThenArgs);
  }

  /** Queues the script on `pipeline`, made from a connection the script was defined on. */
  queue(pipeline: ChainableCommander, ...keysThenArgs: (string | number)[]): void {
    void this.call(pipeline).apply(pipeline, keysThenArgs);
  }

  private call(target: Redis | ChainableCommander): ScriptCall {
    const command = (target as unknown as Record<string, ScriptCall | undefined>)[this.name];
    if (typeof command !== 'function') {
      throw new Error(`Lua script ${this.name} is not defined on this connection`);
    }
    return command;
  }
}
