#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerLdCommands } from './ld/command.js';
import { loadDotEnv } from './shared/config.js';
import { ConfigError } from './shared/errors.js';
import { packageRoot } from './shared/paths.js';

const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command('loadgen')
    .description(
      'Load generator for A/B experiments on LaunchDarkly AI Configs: enqueue realistic questions, answer them ' +
        'with the multi-agent service, judge them as a user would, report feedback and cost, read out the result.',
    )
    .version(version, '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });
  registerLdCommands(program);
  return program;
}

async function main(): Promise<void> {
  loadDotEnv();
  await buildProgram().parseAsync(process.argv);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`loadgen: ${err.message}`);
    process.exit(2);
  }
  console.error('loadgen:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
