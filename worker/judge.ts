import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  assertProviderAvailable,
  LlmError,
  ProviderModelCaller,
  structuredOutput,
  type LlmSettings,
  type ModelCaller,
  type Provider,
} from '../shared/llm/index.js';
import type { Logger } from '../shared/logger.js';
import { defaultPrices, type PriceTable } from '../shared/pricing.js';
import type { RedisKeys } from '../shared/redis.js';
import type { JudgeCheckpoint } from './checkpoint-store.js';
import {
  JUDGE_OUTPUT_JSON_SCHEMA,
  JUDGE_OUTPUT_NAME,
  JUDGE_PROMPT_VERSION,
  JUDGE_SYSTEM_PROMPT,
  JudgeOutputSchema,
  judgeUserMessage,
  type JudgeOutput,
} from './judge-prompt.js';
import { failureKind, judgeFailureAction } from './retry-policy.js';
import { parseRetryAfter, StepError } from './step-error.js';

export interface JudgeSettings {
  provider: Provider;
  model: string;
  llm: LlmSettings;
  /** Characters of question plus answer the judge sees. */
  maxChars: number;
  /** Calls per verdict when the output does not parse (then the verdict is `judge_error`). */
  outputAttempts?: number;
  /** Verdict cache; without it every answer is judged. */
  cache?: { redis: Redis; keys: RedisKeys; ttlSeconds?: number };
  prices?: PriceTable;
  logger?: Logger;
  /** The model layer; by default the real SDK clients of `llm`. */
  models?: ModelCaller;
}

interface CallResult {
  output: JudgeOutput | undefined;
  problem?: string;
  inputTokens: number;
  outputTokens: number;
}

const CACHE_TTL_SECONDS = 30 * 24 * 3600;
const MAX_OUTPUT_TOKENS = 400;

/**
 * The simulated user: an LLM that reads the question and the answer and returns positive, negative or none
 * with a reason (structured output named `judge_verdict`; temperature 0 where the provider's API has one).
 * Output that does not parse is asked for again, then recorded as `judge_error`, never as "none". Verdicts
 * are cached in Redis by prompt version, model, question and answer; a cached verdict costs nothing.
 */
export class Judge {
  private readonly models: ModelCaller;
  private readonly prices: PriceTable;
  private configurationErrorLogged = false;

  constructor(private readonly settings: JudgeSettings) {
    const needFor = `the judge (JUDGE_MODEL=${settings.model})`;
    // A missing key fails at start, not on the first job.
    assertProviderAvailable(settings.llm, settings.provider, needFor);
    this.models = settings.models ?? new ProviderModelCaller(settings.llm, needFor);
    this.prices = settings.prices ?? defaultPrices();
  }

  get model(): string {
    return this.settings.model;
  }

  /**
   * Judges one answer. Throws a `StepError` when the provider is unavailable (rate limit, 5xx, network), so
   * the job retries; on the job's `finalAttempt` other failures than rate limits become a `judge_error`
   * verdict instead, keeping the chat the job already paid for.
   */
  async judge(
    question: string,
    answer: string,
    options: { finalAttempt?: boolean } = {},
  ): Promise<JudgeCheckpoint> {
    const cacheKey = this.cacheKey(question, answer);
    const cached = await this.readCache(cacheKey);
    if (cached) {
      return { ...cached, costUsd: 0, model: this.settings.model, cached: true, unpriced: false };
    }
    const message = judgeUserMessage(question, answer, this.settings.maxChars);
    const attempts = this.settings.outputAttempts ?? 3;
    let costUsd = 0;
    let unpriced = false;
    let problem = 'no attempt made';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let result: CallResult;
      try {
        result = await this.call(message);
      } catch (err) {
        // The calls before this one were paid for: the error carries their cost to the run's spend.
        const failure = classify(err, costUsd);
        const action = judgeFailureAction(failure, options.finalAttempt === true);
        if (action === 'configuration-error') {
          throw this.configurationError(failure);
        }
        if (action === 'throw') {
          throw failure;
        }
        return this.error(`judge call failed: ${failure.message}`, costUsd, unpriced);
      }
      const cost = this.prices.cost(this.settings.model, result.inputTokens, result.outputTokens);
      if (cost.priced) {
        costUsd += cost.usd;
      } else {
        unpriced = true;
      }
      if (result.output) {
        await this.writeCache(cacheKey, result.output);
        return { ...result.output, costUsd, model: this.settings.model, cached: false, unpriced };
      }
      problem = result.problem ?? 'unreadable output';
      this.settings.logger?.warn({ attempt, problem }, 'judge output did not parse');
    }
    return this.error(`judge output unusable after ${attempts} attempts: ${problem}`, costUsd, unpriced);
  }

  /**
   * A bad key or an unknown model fails every job the same way: a fatal error naming the setup, logged loudly
   * once per process, instead of a `judge_error` verdict per job while the run "completes".
   */
  private configurationError(failure: StepError): StepError {
    const message = `judge configuration error (${this.settings.provider}/${this.settings.model}): ${failure.message}; check JUDGE_MODEL, JUDGE_PROVIDER and the provider's API key`;
    if (!this.configurationErrorLogged) {
      this.configurationErrorLogged = true;
      this.settings.logger?.error({ status: failure.details.status }, message);
    }
    return new StepError(message, 'fatal', failure.details, { cause: failure });
  }

  private error(reason: string, costUsd: number, unpriced: boolean): JudgeCheckpoint {
    return { verdict: 'judge_error', reason, costUsd, model: this.settings.model, cached: false, unpriced };
  }

  private async call(message: string): Promise<CallResult> {
    const anthropic = this.settings.provider === 'anthropic';
    const response = await this.models.call({
      provider: this.settings.provider,
      model: this.settings.model,
      maxTokens: MAX_OUTPUT_TOKENS,
      // No temperature for Anthropic: the Messages API of @anthropic-ai/sdk 1.x has deprecated it. The forced
      // tool call and the verdict cache keep verdicts stable instead.
      temperature: anthropic ? undefined : 0,
      system: JUDGE_SYSTEM_PROMPT,
      messages: [{ role: 'user', content: message }],
      structured: {
        name: JUDGE_OUTPUT_NAME,
        schema: { ...JUDGE_OUTPUT_JSON_SCHEMA },
        description: 'Record your verdict on the answer.',
      },
    });
    const output = structuredOutput(response, JUDGE_OUTPUT_NAME);
    return {
      ...(output.ok ? parseOutput(output.value) : { output: undefined, problem: output.problem }),
      inputTokens: response.usage.input,
      outputTokens: response.usage.output,
    };
  }

  private cacheKey(question: string, answer: string): string {
    const hash = createHash('sha256')
      .update(
        JSON.stringify([JUDGE_PROMPT_VERSION, this.settings.provider, this.settings.model, question, answer]),
      )
      .digest('hex');
    return this.settings.cache?.keys.key('judge-cache', hash) ?? hash;
  }

  private async readCache(key: string): Promise<JudgeOutput | undefined> {
    const raw = await this.settings.cache?.redis.get(key);
    const parsed = raw ? JudgeOutputSchema.safeParse(JSON.parse(raw)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }

  /** Best effort: a verdict that cannot be cached is still the verdict (and its cost is still counted). */
  private async writeCache(key: string, output: JudgeOutput): Promise<void> {
    const cache = this.settings.cache;
    if (cache) {
      await cache.redis
        .set(key, JSON.stringify(output), 'EX', cache.ttlSeconds ?? CACHE_TTL_SECONDS)
        .catch((err: unknown) => this.settings.logger?.warn({ err }, 'cannot cache the judge verdict'));
    }
  }
}

function parseOutput(value: unknown): Pick<CallResult, 'output' | 'problem'> {
  const parsed = JudgeOutputSchema.safeParse(value);
  if (parsed.success) {
    return { output: parsed.data };
  }
  return {
    output: undefined,
    problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
  };
}

/**
 * Maps a failed model call (an `LlmError` from shared/llm) to the retry policy (`failureKind`); an error without
 * a status (network, timeout) is retryable. `spentUsd` is what the judge's earlier calls for this verdict cost.
 */
function classify(err: unknown, spentUsd: number): StepError {
  if (err instanceof LlmError) {
    const status = err.status;
    // parseRetryAfter caps the pause as the worker's policy does for every step.
    const retryAfterMs =
      err.retryAfterMs === undefined ? undefined : parseRetryAfter(String(err.retryAfterMs / 1000));
    const message = `${status ?? 'network'}: ${err.detail}`;
    const kind = failureKind(status, retryAfterMs);
    const details =
      kind === 'rate-limited'
        ? { status, retryAfterMs: retryAfterMs ?? 1000, spentUsd }
        : { status, spentUsd };
    return new StepError(message, kind, details, { cause: err });
  }
  const error = err instanceof Error ? err : new Error(String(err));
  return new StepError(error.message, 'retryable', { spentUsd }, { cause: err });
}
