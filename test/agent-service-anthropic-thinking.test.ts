import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { anthropicChat } from '../shared/llm/anthropic-chat.js';
import type { ModelMessage } from '../shared/llm/index.js';
import { createAnthropicClient } from '../shared/llm/clients.js';

const THINKING = { type: 'thinking', thinking: '', signature: 'sig-abc' };

/** A stand-in for Anthropic's Messages API (llm-sim does not think): records bodies, answers in turn. */
async function startMessagesStub(replies: unknown[]) {
  const bodies: { messages: { role: string; content: unknown }[] }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(raw) as (typeof bodies)[number]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(replies[bodies.length - 1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const message = (content: unknown[], stop: string) => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-opus-5-5',
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 5 },
});

describe('Anthropic thinking blocks in the tool loop', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('keeps a turn’s thinking blocks and sends them back first in the assistant turn', async () => {
    const stub = await startMessagesStub([
      message(
        [THINKING, { type: 'tool_use', id: 'toolu_1', name: 'search_v1', input: { query: 'q' } }],
        'tool_use',
      ),
      message([{ type: 'text', text: 'The answer [chunk:a].' }], 'end_turn'),
    ]);
    close = stub.close;
    const client = createAnthropicClient({ simUrl: stub.url });
    const base = { provider: 'anthropic' as const, model: 'claude-opus-5-5', toolChoice: 'auto' as const };
    const tools = [{ name: 'search_v1', description: 'search', parameters: { type: 'object' } }];
    const messages: ModelMessage[] = [{ role: 'user', content: 'What is Q-learning?' }];

    const first = await anthropicChat(client, { ...base, messages, tools });
    expect(first.reasoning).toEqual([THINKING]);
    expect(first.toolCalls.map((c) => c.name)).toEqual(['search_v1']);

    // As the support agent continues the loop.
    messages.push({
      role: 'assistant',
      content: first.text,
      toolCalls: first.toolCalls,
      reasoning: first.reasoning!,
    });
    messages.push({ role: 'tool', toolCallId: 'toolu_1', name: 'search_v1', content: 'passages' });
    const second = await anthropicChat(client, { ...base, messages, tools });
    expect(second.text).toBe('The answer [chunk:a].');
    expect(second.reasoning).toBeUndefined();
    expect(stub.bodies[1]?.messages[1]).toEqual({
      role: 'assistant',
      content: [THINKING, { type: 'tool_use', id: 'toolu_1', name: 'search_v1', input: { query: 'q' } }],
    });
  });
});
