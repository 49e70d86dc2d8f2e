import type { Command } from 'commander';
import type { ReadoutIo } from './command-io.js';
import { registerExportCommand } from './export-command.js';
import { registerPlanCommand } from './plan-command.js';
import { registerReportCommand } from './report-command.js';

export type { ReadoutIo } from './command-io.js';

/** Registers `loadgen report`, `loadgen export` and `loadgen plan`. */
export function registerReadoutCommands(program: Command, io: Partial<ReadoutIo> = {}): void {
  const ctx: ReadoutIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    ...io,
  };
  registerReportCommand(program, ctx);
  registerExportCommand(program, ctx);
  registerPlanCommand(program, ctx);
}
