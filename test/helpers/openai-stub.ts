import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in for an OpenAI-protocol provider misbehaving in ways llm-sim does not; the real SDK calls it. */
export interface OpenAiStub {
  url: string;
  /** Requests received so far. */
  calls(): number;
  close(): Promise<void>;
}

/** The body of a chat completion answering `content`, 100 input and 10 output tokens. */
export function completion(content: string, model = 'gpt-4o-mini'): string {
  return JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
  });
}

/** What one gpt-4o-mini `completion` costs, USD. */
export const COMPLETION_USD = (100 * 0.15 + 10 * 0.6) / 1e6;

/** Answers request n (1-based) with `reply(n, res)`. */
export async function startOpenAiStub(reply: (n: number, res: ServerResponse) => void): Promise<OpenAiStub> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => reply(++calls, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
