import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  createAnthropicClient,
  createOpenAIClient,
  llmMode,
  normalizeProvider,
  type LlmSettings,
  type Provider,
} from '../shared/llm/index.js';
import type { Manifest } from '../shared/manifest.js';
import type { PriceTable } from '../shared/pricing.js';
import { fail, ok, type CheckLine } from './check-line.js';
import {
  findUser,
  sampleUser,
  type Evaluate,
  type ServableVariation,
  type ServedVariation,
} from './servable.js';

const KEY_VARIABLE: Record<Provider, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  mistral: 'MISTRAL_API_KEY',
};

/** `maxmemory-policy` from `INFO memory` (allowed where `CONFIG GET` is not, e.g. on managed Redis). */
export async function checkRedis(
  redis: { info(section: 'memory'): Promise<string> },
  where: string,
): Promise<CheckLine> {
  let info: string;
  try {
    info = await redis.info('memory');
  } catch (err) {
    return fail(
      'redis',
      where,
      `unreachable: ${(err as Error).message}`,
      'start Redis or set REDIS_URL to a reachable one',
    );
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  return policy === 'noeviction'
    ? ok('redis', where, 'reachable, maxmemory-policy noeviction')
    : fail(
        'redis',
        where,
        `maxmemory-policy is ${policy}: Redis may evict queued jobs and run records under memory pressure`,
        'CONFIG SET maxmemory-policy noeviction (and in redis.conf or the provider settings, so it lasts)',
      );
}

/** A variation as served: the evaluated provider and model when LaunchDarkly served it, else the manifest's. */
export interface ServedModel {
  /** The provider as the AI Config names it. */
  providerName: string;
  /** Undefined when the name is no provider the agent service can call. */
  provider: Provider | undefined;
  model: string;
  /** `config/variation` keys that serve it. */
  servedBy: string[];
}

/** The distinct provider and model pairs of the served variations. */
export function servedModels(served: ServedVariation[]): ServedModel[] {
  const byId = new Map<string, ServedModel>();
  for (const { variation, config } of served) {
    const providerName = config?.provider ?? variation.provider;
    const model = config?.model ?? variation.model;
    let provider: Provider | undefined;
    try {
      provider = normalizeProvider(providerName);
    } catch {
      provider = undefined;
    }
    const id = `${provider ?? providerName} ${model}`;
    const entry = byId.get(id) ?? { providerName, provider, model, servedBy: [] };
    entry.servedBy.push(`${variation.configKey}/${variation.variationKey}`);
    byId.set(id, entry);
  }
  return [...byId.values()];
}

/** Whether `provider` can be called: simulated, or its key is set. */
export function callable(llm: LlmSettings, provider: Provider): boolean {
  const keys = { openai: llm.openaiApiKey, anthropic: llm.anthropicApiKey, mistral: llm.mistralApiKey };
  return llmMode(llm) === 'simulated' || Boolean(keys[provider]);
}

/** Every served provider is one the agent service calls and, in live mode, has its key set. */
export function providerKeyLines(models: ServedModel[], llm: LlmSettings): CheckLine[] {
  const lines: CheckLine[] = [];
  for (const m of models.filter((x) => x.provider === undefined)) {
    lines.push(
      fail(
        'provider',
        m.providerName,
        `not openai, anthropic or mistral; served by ${m.servedBy.join(', ')}`,
        'fix the provider of the AI Config variation',
      ),
    );
  }
  if (llmMode(llm) === 'simulated') {
    return lines;
  }
  for (const provider of new Set(models.flatMap((m) => (m.provider ? [m.provider] : [])))) {
    const needs = models.filter((m) => m.provider === provider).flatMap((m) => m.servedBy);
    lines.push(
      callable(llm, provider)
        ? ok('provider', provider, `${KEY_VARIABLE[provider]} is set`)
        : fail(
            'provider',
            provider,
            `${KEY_VARIABLE[provider]} is not set; served by ${needs.join(', ')}`,
            `set ${KEY_VARIABLE[provider]}, or LLM_SIM_URL to simulate every provider`,
          ),
    );
  }
  return lines;
}

/** Whether a provider knows a model id: `exists`, `missing` (404), or throws what else went wrong. */
export type ModelLookup = (provider: Provider, model: string) => Promise<'exists' | 'missing'>;

/**
 * The providers' own model retrieval (`GET /v1/models/{id}`) through the real SDK clients: OpenAI's and
 * Mistral's (OpenAI-compatible) `models.retrieve`, Anthropic's `models.retrieve`. A 404 means the id does not
 * exist (or the key has no access to it).
 */
export function sdkModelLookup(llm: LlmSettings): ModelLookup {
  return async (provider, model) => {
    try {
      if (provider === 'anthropic') {
        await createAnthropicClient(llm).models.retrieve(model);
      } else {
        await createOpenAIClient(llm, provider).models.retrieve(model);
      }
      return 'exists';
    } catch (err) {
      if (err instanceof OpenAI.NotFoundError || err instanceof Anthropic.NotFoundError) {
        return 'missing';
      }
      throw err;
    }
  };
}

/**
 * One line per served model: the provider (or llm-sim) knows its id. Models of a provider that cannot be
 * called (no key, or no provider at all) are left to `providerKeyLines`.
 */
export async function modelLines(
  models: ServedModel[],
  llm: LlmSettings,
  lookup: ModelLookup,
): Promise<CheckLine[]> {
  const where = llmMode(llm) === 'simulated' ? 'llm-sim' : 'the provider';
  const lines: CheckLine[] = [];
  for (const m of models) {
    const provider = m.provider;
    if (!provider || !callable(llm, provider)) {
      continue;
    }
    const subject = `${provider} ${m.model}`;
    let found: 'exists' | 'missing';
    try {
      found = await lookup(provider, m.model);
    } catch (err) {
      const status = (err as { status?: number }).status;
      lines.push(
        fail(
          'model',
          subject,
          `could not ask ${where}: ${(err as Error).message}`,
          status === 401 || status === 403
            ? `check ${KEY_VARIABLE[provider]}: the provider refused it`
            : `check that ${where} is reachable${llmMode(llm) === 'simulated' ? ' (LLM_SIM_URL)' : ''}`,
        ),
      );
      continue;
    }
    lines.push(
      found === 'exists'
        ? ok('model', subject, `exists at ${where}; served by ${m.servedBy.join(', ')}`)
        : fail(
            'model',
            subject,
            `${where} does not know this model id; served by ${m.servedBy.join(', ')}`,
            "use the provider's model id in data/manifest.yaml and the AI Config (loadgen ld bootstrap)",
          ),
    );
  }
  return lines;
}

/** One line per served model: the price table prices it (an unpriced model's cost would be unknown, not $0). */
export function priceLines(models: ServedModel[], prices: PriceTable): CheckLine[] {
  return models.map((m) => {
    const price = prices.price(m.model);
    return price
      ? ok('price', m.model, `$${price.input} / $${price.output} per 1M input / output tokens`)
      : fail(
          'price',
          m.model,
          `not in the price table; its requests would be reported as unpriced`,
          'add the model (or an alias) to data/pricing.json',
        );
  });
}

/**
 * Per served variation: a sample user of its segments whom LaunchDarkly serves it, an enabled config, and
 * tools the agent service offers. Returns the lines and, per variation, the user and evaluation found.
 */
export async function aiConfigLines(
  manifest: Manifest,
  served: ServableVariation[],
  evaluate: Evaluate,
  knownTools: readonly string[],
): Promise<{ lines: CheckLine[]; found: ServedVariation[] }> {
  const lines: CheckLine[] = [];
  const found: ServedVariation[] = [];
  for (const variation of served) {
    const subject = `${variation.configKey}/${variation.variationKey}`;
    const hit = await findUser(manifest, variation, evaluate);
    found.push({ variation, ...hit });
    if (!hit) {
      const segment = variation.segments[0] as string;
      const got = await evaluate(variation.configKey, sampleUser(manifest, segment, `doctor-${segment}-0`));
      lines.push(
        got.enabled
          ? fail(
              'ai-config',
              subject,
              `no sample user of ${variation.segments.join(', ')} was served it (a ${segment} user got "${got.variationKey}")`,
              'align the targeting with data/manifest.yaml (loadgen ld bootstrap, or loadgen ld flags for a flag file)',
            )
          : fail(
              'ai-config',
              subject,
              `disabled: ${segment} users get the disabled variation ("${got.variationKey}")`,
              'turn the AI Config on for this environment in LaunchDarkly (or regenerate the flag file: loadgen ld flags)',
            ),
      );
      continue;
    }
    const { user, config } = hit;
    const unknown = config.tools.filter((t) => !knownTools.includes(t));
    if (!config.enabled) {
      lines.push(
        fail(
          'ai-config',
          subject,
          `served to ${user.key} but disabled (_ldMeta.enabled is false)`,
          'enable the variation in LaunchDarkly (or regenerate the flag file: loadgen ld flags)',
        ),
      );
    } else if (unknown.length > 0) {
      lines.push(
        fail(
          'ai-config',
          subject,
          `names tools the agent service does not know: ${unknown.join(', ')}`,
          `use only ${knownTools.join(', ')} in model.parameters.tools`,
        ),
      );
    } else {
      const tools = config.tools.length > 0 ? `tools ${config.tools.join(', ')}` : 'no tools';
      lines.push(
        ok(
          'ai-config',
          subject,
          `enabled for ${user.key} (${user.segment}): ${config.provider} ${config.model}, ${tools}`,
        ),
      );
    }
  }
  return { lines, found };
}
