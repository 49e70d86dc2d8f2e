#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerAgentServiceCommand } from './agent-service/command.js';
import { registerKbCommand } from './agent-service/kb-command.js';
import { registerDashboardCommand } from './dashboard/command.js';
import { registerDoctorCommand } from './doctor/command.js';
import { registerLdCommands } from './ld/command.js';
import { registerSimCommand } from './llm-sim/command.js';
import { registerRunCommand } from './producer/command.js';
import { registerRunControlCommands } from './readout/control-command.js';
import { registerReadoutCommands } from './readout/command.js';
import { registerStartCommand } from './start/command.js';
import { registerWorkerCommand } from './worker/command.js';
import { loadDotEnv } from './shared/config.js';
import { userErrorOf } from './shared/errors.js';
import { packageRoot } from './shared/paths.js';

const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
  version: string;
};

/** How long a process whose parent died may take to shut down gracefully (a worker's default is 75 s). */
const ORPHAN_EXIT_MS = 90_000;

/** The `loadgen` program with every subcommand registered (tests read it to check the compose file's commands). */
export function buildProgram(): Command {
  const program = new Command('loadgen')
    .description(
      'Load generator for A/B experiments on LaunchDarkly AI Configs: enqueue realistic questions, answer them ' +
        'with the multi-agent service, judge them as a user would, report feedback and cost, read out the result.',
    )
    .version(version, '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    // Throw instead of exiting, so that a bad option exits 2 like any configuration error (set before the
    // subcommands are added: they inherit it).
    .exitOverride();
  registerLdCommands(program);
  registerSimCommand(program);
  registerRunCommand(program);
  registerWorkerCommand(program);
  registerKbCommand(program);
  registerAgentServiceCommand(program);
  registerDashboardCommand(program);
  registerReadoutCommands(program);
  registerRunControlCommands(program);
  registerStartCommand(program);
  registerDoctorCommand(program);
  return program;
}

async function main(): Promise<void> {
  // Started with an IPC channel (by `loadgen start`, a test or a benchmark), a process ends with its parent:
  // the channel closes when the parent dies, even by SIGKILL, and the process then shuts down as on SIGTERM.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => {
      process.kill(process.pid, 'SIGTERM');
      // Nobody is left to wait for us: if the graceful shutdown has not ended the process by then, end it. From a
      // detached process, not a timer: an orphaned agent service was seen hung at exit with its main thread in a
      // futex, where no timer of its own runs. It checks the pid is still this command before killing it.
      spawn(
        'sh',
        [
          '-c',
          `sleep ${ORPHAN_EXIT_MS / 1000}; grep -qs cli.js /proc/${process.pid}/cmdline && kill -9 ${process.pid}`,
        ],
        { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      ).unref();
    });
  }
  loadDotEnv();
  const program = buildProgram();
  // The command an error came from, to name it in the one line the user sees.
  let command = '';
  program.hook('preAction', (_program, action) => {
    command = ` ${action.name()}`;
  });
  try {
    rejectUnknownHelpTopic(program, process.argv.slice(2));
    await program.parseAsync(process.argv);
  } catch (err) {
    exitOnError(err, `loadgen${command}`);
  }
}

/**
 * The one place a command's error ends the process. A user's error (a bad option or variable: 2; a busy port, an
 * unreachable service, a missing run: 1) is one line that says what to do, without a stack; a bug shows its stack.
 */
function exitOnError(err: unknown, prefix: string): never {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help/version) already.
    const informational = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    process.exit(informational.includes(err.code) ? 0 : 2);
  }
  const userError = userErrorOf(err);
  if (userError) {
    console.error(`${prefix}: ${userError.message}`);
    process.exit(userError.exitCode);
  }
  console.error(`${prefix}:`, err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}

/** `loadgen help NAME` for a command that does not exist is an unknown command (exit 2), not the help (exit 0). */
export function rejectUnknownHelpTopic(program: Command, args: string[]): void {
  const [first, topic] = args;
  if (first !== 'help' || topic === undefined || topic.startsWith('-')) {
    return;
  }
  const known = program.commands.some((c) => c.name() === topic || c.aliases().includes(topic));
  if (!known) {
    program.error(`error: unknown command '${topic}'`, { exitCode: 2, code: 'commander.unknownCommand' });
  }
}

// Run only when executed (`loadgen`, `node dist/cli.js`), not when a test imports `buildProgram`.
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  void main();
}
