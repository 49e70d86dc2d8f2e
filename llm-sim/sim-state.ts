import { createHash } from 'node:crypto';
import { Random, seedFromString } from '../shared/random.js';
import { FAULT_KINDS, resolveModel, type FaultKind, type ModelProfile, type SimProfile } from './profile.js';

/** A fault to inject into upcoming requests: skip `skip` matching requests, then fail the next `count`. */
export interface ScheduledFault {
  kind: FaultKind;
  /** Only requests for this model (id or profile name, case-insensitive); all models when unset. */
  model?: string;
  skip?: number;
  count?: number;
}

/** A request the simulator received, kept in a bounded ring buffer for tests to inspect. */
export interface RecordedRequest {
  /** Arrival order, from 1. */
  seq: number;
  at: string;
  path: string;
  provider: 'openai' | 'anthropic';
  model: string;
  body: unknown;
}

export interface ModelStats {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  streamed: number;
  verdicts: { positive: number; negative: number; none: number };
  faults: Record<FaultKind, number>;
}

export interface SimStats {
  requests: number;
  /** Requests rejected as invalid (400/401/404). */
  rejected: number;
  inputTokens: number;
  outputTokens: number;
  faults: Record<FaultKind, number>;
  /** Keyed by the model id as requested, lower-cased. */
  byModel: Record<string, ModelStats & { profile: string }>;
}

/** How many distinct request bodies the simulator remembers for determinism (least recently seen go first). */
export const SEEN_BODIES_LIMIT = 100_000;

const zeroFaults = (): Record<FaultKind, number> =>
  Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

/**
 * Everything the simulator remembers between requests: how often each body was seen (for determinism),
 * scheduled faults, counters and recent requests. One instance per server.
 */
export class SimState {
  private readonly seen = new Map<number, number>();
  private readonly schedule: { kind: FaultKind; model: string | undefined; skip: number; count: number }[] =
    [];
  private readonly recent: RecordedRequest[] = [];
  private seq = 0;
  private readonly hangs = new Set<() => void>();
  private readonly counters: Omit<SimStats, 'byModel'> = {
    requests: 0,
    rejected: 0,
    inputTokens: 0,
    outputTokens: 0,
    faults: zeroFaults(),
  };
  /** A Map, not an object: model ids come from callers, and `__proto__` must be a key like any other. */
  private readonly byModel = new Map<string, ModelStats & { profile: string }>();

  constructor(
    readonly profile: SimProfile,
    readonly seed: number,
    private readonly keepRequests = 1000,
    private readonly seenLimit = SEEN_BODIES_LIMIT,
  ) {}

  /**
   * A random source for one request: from the seed, the body, and how many times this exact body came before,
   * so answers do not depend on how requests interleave and repeated identical requests still differ.
   * Only the last `seenLimit` distinct bodies are remembered: a body forgotten since counts from 0 again.
   */
  randomFor(rawBody: string): Random {
    // A 48-bit number key keeps the map small over millions of requests; a collision only shifts a count.
    const hash = createHash('sha1').update(rawBody).digest().readUIntLE(0, 6);
    const n = this.seen.get(hash) ?? 0;
    // Re-inserting keeps the map in least-recently-seen order, so the first key is the one to forget.
    this.seen.delete(hash);
    this.seen.set(hash, n + 1);
    if (this.seen.size > this.seenLimit) {
      this.seen.delete(this.seen.keys().next().value as number);
    }
    return new Random(seedFromString(`${this.seed}|${hash}|${n}`));
  }

  model(modelId: string): { name: string; model: ModelProfile; listed: boolean } {
    return resolveModel(this.profile, modelId);
  }

  record(path: string, provider: RecordedRequest['provider'], model: string, body: unknown): void {
    this.recent.push({ seq: ++this.seq, at: new Date().toISOString(), path, provider, model, body });
    if (this.recent.length > this.keepRequests) {
      this.recent.shift();
    }
    this.counters.requests++;
    this.modelStats(model).requests++;
  }

  requests(): RecordedRequest[] {
    return [...this.recent];
  }

  scheduleFault(fault: ScheduledFault): void {
    this.schedule.push({
      kind: fault.kind,
      model: fault.model,
      skip: fault.skip ?? 0,
      count: fault.count ?? 1,
    });
  }

  /** The fault for this request: a scheduled one first, else one drawn from the model's fault rates. */
  faultFor(modelId: string, profileName: string, model: ModelProfile, random: Random): FaultKind | undefined {
    // Draw even when a scheduled fault wins, so the rest of the request's draws stay the same.
    const r = random.next();
    const id = modelId.toLowerCase();
    for (let i = 0; i < this.schedule.length; i++) {
      const entry = this.schedule[i];
      if (!entry) {
        continue;
      }
      const target = entry.model?.toLowerCase();
      if (target !== undefined && target !== id && target !== profileName) {
        continue;
      }
      if (entry.skip > 0) {
        entry.skip--;
        continue;
      }
      if (--entry.count <= 0) {
        this.schedule.splice(i, 1);
      }
      return entry.kind;
    }
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += model.faults[kind];
      if (r < cumulative) {
        return kind;
      }
    }
    return undefined;
  }

  countFault(model: string, kind: FaultKind): void {
    this.counters.faults[kind]++;
    this.modelStats(model).faults[kind]++;
  }

  countRejected(): void {
    this.counters.rejected++;
  }

  countUsage(
    model: string,
    usage: {
      inputTokens: number;
      outputTokens: number;
      toolCalls?: number;
      streamed?: boolean;
      verdict?: string;
    },
  ): void {
    const stats = this.modelStats(model);
    stats.inputTokens += usage.inputTokens;
    stats.outputTokens += usage.outputTokens;
    stats.toolCalls += usage.toolCalls ?? 0;
    stats.streamed += usage.streamed ? 1 : 0;
    if (usage.verdict === 'positive' || usage.verdict === 'negative' || usage.verdict === 'none') {
      stats.verdicts[usage.verdict]++;
    }
    this.counters.inputTokens += usage.inputTokens;
    this.counters.outputTokens += usage.outputTokens;
  }

  /** Never answers: resolves when the client goes away or the server closes. */
  hang(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        this.hangs.delete(release);
        resolve();
      };
      // An abort that came before the listener would never fire it: the client is already gone.
      if (signal.aborted) {
        resolve();
        return;
      }
      this.hangs.add(release);
      signal.addEventListener('abort', release, { once: true });
    });
  }

  /** Lets every hanging request end, so the server can close. */
  releaseHangs(): void {
    for (const release of [...this.hangs]) {
      release();
    }
  }

  stats(): SimStats {
    // Object.fromEntries defines own properties, so `__proto__` stays a plain key here too.
    return structuredClone({ ...this.counters, byModel: Object.fromEntries(this.byModel) });
  }

  private modelStats(modelId: string): ModelStats & { profile: string } {
    const key = modelId.toLowerCase();
    let stats = this.byModel.get(key);
    if (!stats) {
      stats = {
        profile: this.model(modelId).name,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        toolCalls: 0,
        streamed: 0,
        verdicts: { positive: 0, negative: 0, none: 0 },
        faults: zeroFaults(),
      };
      this.byModel.set(key, stats);
    }
    return stats;
  }
}
