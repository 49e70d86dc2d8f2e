import { describe, expect, it } from 'vitest';
import { ResourceStack, ShutdownManager } from './shutdown.js';

describe('ResourceStack', () => {
  it('closes in reverse order of opening, each closer once even when one throws', async () => {
    const calls: string[] = [];
    const stack = new ResourceStack();
    stack.defer('redis', async () => void calls.push('redis'));
    stack.defer('worker', () => {
      calls.push('worker');
      throw new Error('boom');
    });
    const server = await stack.use(
      'http',
      () => ({ name: 'server' }),
      (s) => void calls.push(`http:${s.name}`),
    );
    expect(server.name).toBe('server');
    await Promise.all([stack.close(), stack.close()]);
    await stack.close();
    expect(calls).toEqual(['http:server', 'worker', 'redis']);
    expect(stack.closed).toBe(true);
  });

  it('closes at once what is opened after close began', async () => {
    const calls: string[] = [];
    const stack = new ResourceStack();
    await stack.close();
    stack.defer('late', () => void calls.push('late'));
    await Promise.resolve();
    expect(calls).toEqual(['late']);
  });

  it('gives up on a closer that outlives the deadline', async () => {
    const stack = new ResourceStack({ deadlineMs: 50 });
    let finished = false;
    stack.defer('after', () => void (finished = true));
    stack.defer('stuck', () => new Promise<void>(() => {}));
    await stack.close();
    expect(finished).toBe(false);
  });
});

describe('ShutdownManager', () => {
  it('runs every handler, last registered first, even when one throws, once', async () => {
    const calls: string[] = [];
    const manager = new ShutdownManager({ exit: () => {} });
    manager.register('redis', async () => void calls.push('redis'));
    manager.register('worker', () => {
      calls.push('worker');
      throw new Error('boom');
    });
    manager.register('http', () => void calls.push('http'));
    await Promise.all([manager.shutdown(), manager.shutdown()]);
    expect(calls).toEqual(['http', 'worker', 'redis']);
  });

  it('exits at once on a second signal', async () => {
    const codes: number[] = [];
    let release: () => void = () => {};
    const manager = new ShutdownManager({ exit: (code) => codes.push(code) }).listen();
    manager.register('slow', () => new Promise<void>((resolve) => (release = resolve)));
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(codes).toEqual([130]);
    release();
    await manager.shutdown();
    await Promise.resolve();
    expect(codes).toEqual([130, 0]);
  });

  it('leaves the exit to the caller with exitAfterSignal: false (start), still exiting 130 on a second signal', async () => {
    const codes: number[] = [];
    let interrupted = 0;
    const manager = new ShutdownManager({
      exit: (code) => codes.push(code),
      exitAfterSignal: false,
    }).listen();
    manager.register('interrupt', () => void interrupted++);
    process.emit('SIGINT', 'SIGINT');
    await manager.shutdown();
    expect(interrupted).toBe(1);
    expect(codes).toEqual([]);
    process.emit('SIGINT', 'SIGINT');
    expect(codes).toEqual([130]);
    manager.stopListening();
  });
});
