import { afterEach, describe, expect, it } from 'vitest';
import { ChatResponseSchema } from '../shared/chat.js';
import { postChat } from '../worker/chat-client.js';
import { startChatStub, stubChatResponse } from './chat-stub.js';

describe('chat stub', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('answers the worker chat client within the /chat contract, naming the request, and times each answer', async () => {
    const stub = await startChatStub({ latencyMs: 20 });
    close = stub.close;
    const request = { message: 'How do I reset my password?', user: { key: 'u-1' } };
    const [a, b] = await Promise.all([
      postChat(stub.url, request, { timeoutMs: 10_000, requestId: 'run.1' }),
      postChat(stub.url, request, { timeoutMs: 10_000, requestId: 'run.2' }),
    ]);
    expect(a.requestId).toBe('run.1');
    expect(a.answer).not.toBe(b.answer);
    expect(a.agents[0]?.enabled).toBe(true);
    const stats = (await (await fetch(`${stub.url}/stats`)).json()) as {
      requests: number;
      serverMs: number[];
    };
    expect(stats.requests).toBe(2);
    // Each answer waited its fixed delay (timers fire no earlier than asked, give or take a millisecond).
    expect(stats.serverMs.every((ms) => ms >= 19)).toBe(true);
  });

  it('builds a response the contract accepts and a 404 for anything else', async () => {
    expect(ChatResponseSchema.safeParse(stubChatResponse('x')).success).toBe(true);
    const stub = await startChatStub({ latencyMs: 0 });
    close = stub.close;
    const response = await fetch(`${stub.url}/nope`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });
});
