import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Env } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { loadMetrics } from '../shared/catalog.js';
import { buildFlagData, writeFlagFile } from '../shared/flag-file.js';
import { createLogger } from '../shared/logger.js';
import { loadManifest } from '../shared/manifest.js';
import { dataPath } from '../shared/paths.js';
import { defaultPrices } from '../shared/pricing.js';
import { loadExperiments } from '../readout/index.js';
import { bootstrapProject } from './bootstrap.js';
import { loadConfig } from './config.js';
import { LaunchDarklyRestClient } from './rest-client.js';

/** Where the commands read their environment and write; tests hand in their own. */
export interface LdCommandIo {
  env: Env;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Registers `loadgen ld flags` and `loadgen ld bootstrap`. */
export function registerLdCommands(
  program: Command,
  io: LdCommandIo = { env: process.env, stdout: process.stdout, stderr: process.stderr },
): void {
  const ld = program
    .command('ld')
    .description(
      'LaunchDarkly: the local flag file, and bootstrapping a project from the AI Config manifest',
    );

  ld.command('flags')
    .description(
      'Write the LaunchDarkly file-data-source JSON (flags and segments) for the AI Config manifest; use it as ' +
        'LD_FLAGS_FILE for local mode',
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('-m, --manifest <file>', 'AI Config manifest', dataPath('manifest.yaml'))
    .action((options: { output?: string; manifest: string }) => {
      const manifest = loadManifest(options.manifest);
      if (options.output) {
        writeFlagFile(manifest, options.output);
        io.stderr.write(`wrote ${resolve(options.output)}\n`);
      } else {
        io.stdout.write(`${JSON.stringify(buildFlagData(manifest), null, 2)}\n`);
      }
    });

  ld.command('bootstrap')
    .description(
      'Create or update, in a LaunchDarkly project, the AI Configs and variations, tools, segments, targeting, ' +
        'the metrics and experiments of the manifest and data/experiments.yaml (LD_API_TOKEN; re-running changes nothing)',
    )
    .requiredOption('-p, --project <key>', 'LaunchDarkly project key')
    .option('-e, --environment <key>', 'environment for segments, targeting and experiments', 'production')
    .option('--dry-run', 'print the calls it would make (reads the project when LD_API_TOKEN is set)', false)
    .option('-m, --manifest <file>', 'AI Config manifest', dataPath('manifest.yaml'))
    .action(async (options: { project: string; environment: string; dryRun: boolean; manifest: string }) => {
      for (const [name, value] of [
        ['--project', options.project],
        ['--environment', options.environment],
      ] as const) {
        if (!KEY.test(value)) {
          throw new ConfigError(`${name}: "${value}" is not a LaunchDarkly key (letters, digits, . _ -)`);
        }
      }
      const config = loadConfig(io.env);
      if (!config.ldApiToken && !options.dryRun) {
        throw new ConfigError(
          'LD_API_TOKEN: a LaunchDarkly REST API access token is required (it is not set)',
        );
      }
      const out = (line: string) => io.stdout.write(`${line}\n`);
      const logger = createLogger({ level: config.logLevel, name: 'ld-bootstrap', destination: io.stderr });
      const api = config.ldApiToken
        ? new LaunchDarklyRestClient({
            baseUrl: config.ldApiUrl,
            token: config.ldApiToken,
            logger,
            timeoutMs: config.ldApiTimeoutMs,
            onRetry: ({ method, path, reason, waitMs, attempt }) =>
              out(`  ${reason} on ${method} ${path}: retry ${attempt} in ${(waitMs / 1000).toFixed(1)} s`),
          })
        : undefined;
      out(
        `${options.dryRun ? 'Planning' : 'Bootstrapping'} LaunchDarkly project ${options.project}, ` +
          `environment ${options.environment}, at ${config.ldApiUrl}` +
          (api ? '' : ' (no LD_API_TOKEN: planning for a fresh project)'),
      );
      const manifest = loadManifest(options.manifest);
      const result = await bootstrapProject({
        api,
        project: options.project,
        environment: options.environment,
        manifest,
        experiments: loadExperiments(undefined, manifest),
        metrics: loadMetrics(),
        prices: defaultPrices(),
        dryRun: options.dryRun,
        out,
      });
      const count = (outcome: string) => result.steps.filter((s) => s.outcome === outcome).length;
      out(
        options.dryRun
          ? `\n${count('planned') + count('created') + count('updated')} changes planned, ${count('unchanged')} already in place`
          : `\n${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged`,
      );
      const manual = [
        ...result.manual,
        `Copy the ${options.environment} server-side SDK key into LD_SDK_KEY for live mode (never printed here).`,
      ];
      out('\nStill to do in the LaunchDarkly UI:');
      manual.forEach((step, i) => out(`  ${i + 1}. ${step}`));
    });
}
