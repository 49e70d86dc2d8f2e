import type { Command } from 'commander';
import { z } from 'zod';
import { commonEnv, llmEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';
import { kbEnv } from '../shared/kb/index.js';
import { createOpenAIClient, llmMode } from '../shared/llm/index.js';
import { createLogger, redactUrl } from '../shared/logger.js';

/** Environment of `loadgen kb`. */
export const KbCommandEnvSchema = z.object({ ...commonEnv, ...llmEnv, ...kbEnv });
export type KbCommandConfig = EnvConfig<typeof KbCommandEnvSchema>;

/** Parses the environment of `loadgen kb` once; a bad value throws a `ConfigError` naming it. */
export function loadKbConfig(env: Env): KbCommandConfig {
  return parseEnv(KbCommandEnvSchema, env);
}

export interface KbCommandIo {
  /** The environment; the CLI passes `process.env`. */
  env?: Env;
  /** Where results go (logs go to stderr). */
  stdout?: NodeJS.WritableStream;
}

/**
 * Registers `loadgen kb info` (what the loader reads from the knowledge base) and `loadgen kb index` (build
 * or reuse the embeddings index in Redis that search_v2 uses).
 */
export function registerKbCommand(program: Command, io: KbCommandIo = {}): void {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const print = (json: boolean, value: Record<string, unknown>, text: string) =>
    stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);

  const kb = program
    .command('kb')
    .description(
      'Knowledge base: inspect it and build its embeddings index (KB_DIR, default: the shipped kb/)',
    );

  kb.command('info')
    .description('load the knowledge base and print its documents, chunk count and content hash')
    .option('--dir <folder>', 'knowledge base folder (default: KB_DIR, else the shipped kb/)')
    .option('--json', 'print JSON', false)
    .action(async (opts: { dir?: string; json: boolean }) => {
      const config = loadKbConfig(env);
      const logger = createLogger({ level: config.logLevel, destination: process.stderr });
      // Loaded here, not at the top: the PDF parser would otherwise sit in every `loadgen` process.
      const { loadKnowledgeBase } = await import('../shared/kb/index.js');
      const base = await loadKnowledgeBase(opts.dir ?? config.kbDir, { logger });
      const headings = new Set(base.chunks.map((c) => `${c.docId}#${c.heading ?? ''}`));
      const summary = {
        dir: base.dir,
        hash: base.hash,
        documents: base.documents.map((d) => ({ id: d.id, title: d.title, chars: d.text.length })),
        chunks: base.chunks.length,
        sections: headings.size,
      };
      const lines = [
        `${base.dir}: ${base.documents.length} documents, ${summary.sections} sections, ${base.chunks.length} chunks`,
        `hash ${base.hash}`,
        ...base.documents.map((d) => `  ${d.id}  ${d.title}`),
      ];
      print(opts.json, summary, lines.join('\n'));
    });

  kb.command('index')
    .description(
      'embed every chunk (OpenAI embeddings API, or llm-sim when LLM_SIM_URL is set) and store the index in ' +
        'Redis under the base content hash and model; reused until the base changes',
    )
    .option('--dir <folder>', 'knowledge base folder (default: KB_DIR, else the shipped kb/)')
    .option('--model <name>', 'embeddings model (default: KB_EMBEDDING_MODEL, else text-embedding-3-small)')
    .option('--force', 'rebuild even if an index for this base and model is stored', false)
    .option('--json', 'print JSON', false)
    .action(async (opts: { dir?: string; model?: string; force: boolean; json: boolean }) => {
      const config = loadKbConfig(env);
      const logger = createLogger({ level: config.logLevel, destination: process.stderr });
      const model = opts.model ?? config.kbEmbeddingModel;
      const llm = { simUrl: config.llmSimUrl, openaiApiKey: config.openaiApiKey };
      const openai = createOpenAIClient(llm, 'openai', 'loadgen kb index (embeddings)');
      const { loadKnowledgeBase } = await import('../shared/kb/index.js');
      const { loadOrBuildRedisEmbeddingIndex } = await import('./redis-embedding-index.js');
      const base = await loadKnowledgeBase(opts.dir ?? config.kbDir, { logger });
      logger.info({ mode: llmMode(llm), redis: redactUrl(config.redisUrl), model }, 'kb index');
      const index = await loadOrBuildRedisEmbeddingIndex({
        kb: base,
        openai,
        model,
        redisUrl: config.redisUrl,
        redisPrefix: config.redisPrefix,
        connectionName: `${config.redisPrefix}:kb-index`,
        logger,
        force: opts.force,
      });
      const summary = {
        key: index.key,
        status: index.built ? 'built' : 'reused',
        model,
        mode: llmMode(llm),
        kbHash: base.hash,
        chunks: index.chunks.length,
        dimensions: index.dimensions,
      };
      print(
        opts.json,
        summary,
        `embeddings index ${summary.status}: ${summary.chunks} chunks x ${summary.dimensions} dimensions, ` +
          `model ${model} (${summary.mode}), key ${index.key}`,
      );
    });
}
