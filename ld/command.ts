import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildFlagData, writeFlagFile } from '../shared/flag-file.js';
import { loadManifest } from '../shared/manifest.js';
import { dataPath } from '../shared/paths.js';

/** Registers `loadgen ld flags` and `loadgen ld bootstrap`. */
export function registerLdCommands(program: Command): void {
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
        console.error(`wrote ${resolve(options.output)}`);
      } else {
        process.stdout.write(`${JSON.stringify(buildFlagData(manifest), null, 2)}\n`);
      }
    });
}
