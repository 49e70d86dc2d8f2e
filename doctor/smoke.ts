import { ChatResponseSchema, ErrorBodySchema } from '../shared/chat.js';
import { fail, ok, type CheckLine } from './check-line.js';
import type { DoctorReport } from './run-doctor.js';

/**
 * The question every smoke request asks. It carries an e-mail address so the supervisor routes it through the
 * security agent too: each request runs all three agents.
 */
export const SMOKE_MESSAGE =
  'Hi, I am smoke.test@example.com. What is a reward function in reinforcement learning?';

export interface SmokeResult {
  lines: CheckLine[];
  ok: boolean;
  /** USD of every request that was priced. */
  costUsd: number;
  /** Requests whose cost is unknown (an unpriced model ran). */
  unpriced: number;
}

/**
 * `loadgen run --smoke`: one `POST /chat` per servable variation, as the sample user the doctor found that
 * LaunchDarkly serves it to. A line passes when the agent service answered 200, the variation's agent ran with
 * that variation, used tokens, was priced and reported no error (tool calls included). Tools are shown as
 * the AI Config names them (what the agent may call) and as called; a model may answer without calling one.
 */
export async function runSmoke(report: DoctorReport, agentServiceUrl: string): Promise<SmokeResult> {
  const lines: CheckLine[] = [];
  let costUsd = 0;
  let unpriced = 0;
  const url = `${agentServiceUrl.replace(/\/+$/, '')}/chat`;
  for (const { variation, user, config } of report.served) {
    const subject = `${variation.configKey}/${variation.variationKey}`;
    if (!user) {
      lines.push(
        fail('smoke', subject, 'no sample user is served this variation', 'see the ai-config line above'),
      );
      continue;
    }
    let res: Response;
    let body: unknown;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: SMOKE_MESSAGE, user }),
        signal: AbortSignal.timeout(120_000),
      });
      body = await res.json().catch(() => undefined);
    } catch (err) {
      lines.push(
        fail('smoke', subject, `POST ${url} failed: ${(err as Error).message}`, 'check AGENT_SERVICE_URL'),
      );
      continue;
    }
    if (res.status !== 200) {
      const error = ErrorBodySchema.safeParse(body);
      const detail = error.success ? `${error.data.error.code}: ${error.data.error.message}` : '';
      lines.push(
        fail(
          'smoke',
          subject,
          `agent service answered HTTP ${res.status} ${detail}`,
          'see the agent service log',
        ),
      );
      continue;
    }
    const chat = ChatResponseSchema.safeParse(body);
    if (!chat.success) {
      lines.push(
        fail(
          'smoke',
          subject,
          'the agent service answer is not a chat response',
          'see the agent service log',
        ),
      );
      continue;
    }
    const { agents, totals } = chat.data;
    if (totals.costUsd === null) {
      unpriced++;
    } else {
      costUsd += totals.costUsd;
    }
    const run = agents.find((a) => a.configKey === variation.configKey);
    if (!run) {
      lines.push(
        fail(
          'smoke',
          subject,
          `its agent did not run (route ${chat.data.route.join(' > ')})`,
          'see the agent service log',
        ),
      );
      continue;
    }
    const offered = config?.tools ?? [];
    const called = run.toolCalls.map((t) => t.name);
    const toolErrors = run.toolCalls.filter((t) => t.error).map((t) => `${t.name}: ${t.error}`);
    const summary =
      `${run.provider} ${run.model}, ${run.tokens.total} tokens, ` +
      `${run.costUsd === null ? 'unpriced' : `$${run.costUsd.toFixed(6)}`}, ` +
      `AI Config tools ${offered.join(', ') || 'none'}, called ${called.join(', ') || 'none'}`;
    const problems = [
      run.variationKey !== variation.variationKey ? `the agent service served "${run.variationKey}"` : '',
      run.tokens.total > 0 ? '' : 'no tokens',
      run.costUsd === null ? `no price for ${run.model}` : '',
      run.error ? `error: ${run.error}` : '',
      ...toolErrors,
    ].filter(Boolean);
    lines.push(
      problems.length === 0
        ? ok('smoke', subject, summary)
        : fail(
            'smoke',
            subject,
            `${problems.join('; ')} (${summary})`,
            'fix what the doctor lines above name',
          ),
    );
  }
  return { lines, ok: lines.every((l) => l.ok), costUsd, unpriced };
}
