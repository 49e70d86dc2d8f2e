import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RequestIdVariables } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { chatRequestSchema, type AgentRun, type ChatResponse } from '../shared/chat.js';
import { userContext } from '../shared/user-context.js';
import type { AgentDeps, RequestScope } from './graph/agent-context.js';
import type { ChatGraph } from './graph/chat-graph.js';
import type { ServiceMetrics } from './metrics.js';
import { ServiceError } from './service-error.js';

export interface ChatRouteOptions {
  deps: AgentDeps;
  graph: ChatGraph;
  metrics: ServiceMetrics;
  maxMessageChars: number;
  maxBodyBytes: number;
  deadlineMs: number;
}

/** `POST /chat`: validate, run the agent graph under the request's deadline, answer per shared/chat.ts. */
export function chatRoute(options: ChatRouteOptions) {
  const { deps, graph, metrics } = options;
  return new Hono<{ Variables: RequestIdVariables }>().post(
    '/',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => {
        throw new ServiceError(
          413,
          'payload_too_large',
          `the request body is larger than ${options.maxBodyBytes} bytes`,
        );
      },
    }),
    async (c, next) => {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) {
        throw new ServiceError(
          415,
          'unsupported_media_type',
          'send the body as JSON (Content-Type: application/json)',
        );
      }
      await next();
    },
    zValidator('json', chatRequestSchema(options.maxMessageChars), (result) => {
      if (!result.success) {
        const issues = result.error.issues;
        const field = issues[0]?.path.join('.');
        const message = issues
          .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
          .join('; ');
        throw new ServiceError(400, 'invalid_request', message, {
          ...(field ? { field } : {}),
        });
      }
    }),
    async (c) => {
      const body = c.req.valid('json');
      const requestId = c.get('requestId');
      const runs: AgentRun[] = [];
      const deadline = new AbortController();
      // A caller that hangs up stops the request too: no more model or tool calls for an answer nobody reads.
      const caller = c.req.raw.signal;
      const signal = AbortSignal.any([caller, deadline.signal]);
      const logger = deps.logger.child({ requestId });
      const scope: RequestScope = {
        requestId,
        context: userContext(body.user),
        signal,
        logger,
        onAgentRun: (run) => {
          runs.push(run);
          metrics.observeAgent(run);
        },
      };
      const deadlineError = () =>
        new ServiceError(
          504,
          'deadline_exceeded',
          `the request did not finish within its ${options.deadlineMs} ms deadline`,
        );
      let timer: NodeJS.Timeout | undefined;
      // Providers and tools get the abort signal; the race answers on time even if one of them ignores it.
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          deadline.abort(deadlineError());
          reject(deadlineError());
        }, options.deadlineMs);
      });
      try {
        const state = await Promise.race([
          graph.invoke(
            { message: body.message, history: body.history, user: body.user },
            { signal, configurable: { scope } },
          ),
          expired,
        ]);
        const response: ChatResponse = {
          requestId,
          answer: state.answer,
          route: state.path,
          agents: runs,
          totals: totals(runs),
        };
        // One line per answered request; failures are logged by onError, both with the request id (the
        // worker's job id), which joins them to the worker's log.
        logger.debug({ route: state.path, costUsd: response.totals.costUsd }, 'chat answered');
        return c.json(response);
      } catch (err) {
        if (caller.aborted && !deadline.signal.aborted) {
          throw new ServiceError(
            499 as ContentfulStatusCode,
            'client_closed_request',
            'the caller closed the request before it finished',
            { cause: err },
          );
        }
        throw deadline.signal.aborted && !(err instanceof ServiceError && err.status < 500)
          ? deadlineError()
          : err;
      } finally {
        clearTimeout(timer);
        expired.catch(() => {});
      }
    },
  );
}

function totals(runs: AgentRun[]): ChatResponse['totals'] {
  const tokens = { input: 0, output: 0, total: 0 };
  let durationMs = 0;
  let cost = 0;
  const unpriced = new Set<string>();
  for (const run of runs) {
    tokens.input += run.tokens.input;
    tokens.output += run.tokens.output;
    tokens.total += run.tokens.total;
    durationMs += run.durationMs;
    if (run.costUsd === null) {
      unpriced.add(run.model);
    } else {
      cost += run.costUsd;
    }
  }
  return { tokens, durationMs, costUsd: unpriced.size > 0 ? null : cost, unpricedModels: [...unpriced] };
}
