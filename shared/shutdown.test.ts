import { describe, expect, it } from 'vitest';
import { ShutdownManager } from './shutdown.js';

describe('ShutdownManager', () => {
  it('runs every handler in order even when one throws, once', async () => {
    const calls: string[] = [];
    const manager = new ShutdownManager({ exit: () => {} });
    manager.register('http', () => void calls.push('http'));
    manager.register('worker', () => {
      calls.push('worker');
      throw new Error('boom');
    });
    manager.register('redis', async () => void calls.push('redis'));
    await Promise.all([manager.shutdown(), manager.shutdown()]);
    expect(calls).toEqual(['http', 'worker', 'redis']);
  });

  it('gives up on a handler that outlives the deadline', async () => {
    const manager = new ShutdownManager({ deadlineMs: 50, exit: () => {} });
    let finished = false;
    manager.register('stuck', () => new Promise<void>(() => {}));
    manager.register('after', () => void (finished = true));
    await manager.shutdown();
    expect(finished).toBe(false);
  });

  it('exits at once on a second signal', async () => {
    const codes: number[] = [];
    const manager = new ShutdownManager({ exit: (code) => codes.push(code) }).listen();
    manager.register('slow', () => new Promise<void>((resolve) => setTimeout(resolve, 200)));
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(codes).toEqual([130]);
    await manager.shutdown();
    expect(codes).toEqual([130, 0]);
  });
});
