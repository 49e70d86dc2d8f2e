import type { Command } from 'commander';
import type { Env } from '../shared/config.js';
import { dataPath } from '../shared/paths.js';
import { formatTable } from './check-line.js';
import { runDoctor, type DoctorReport } from './run-doctor.js';

/** Exit code of `loadgen doctor` when any check failed (a configuration error exits 2, as everywhere). */
export const DOCTOR_FAILED = 1;

export interface DoctorCommandIo {
  env: Env;
  stdout: NodeJS.WritableStream;
  /** Sets the exit code; defaults to `process.exitCode`. */
  setExitCode?: (code: number) => void;
}

/** Prints the doctor's table and a one-line verdict. */
export function printReport(report: DoctorReport, out: NodeJS.WritableStream): void {
  const failed = report.lines.filter((l) => !l.ok).length;
  out.write(`${formatTable(report.lines)}\n\n`);
  out.write(
    failed === 0
      ? `doctor: all ${report.lines.length} checks passed\n`
      : `doctor: ${failed} of ${report.lines.length} checks failed\n`,
  );
}

/** Registers `loadgen doctor`: the preflight table; exits 1 when a check fails. */
export function registerDoctorCommand(
  program: Command,
  io: DoctorCommandIo = { env: process.env, stdout: process.stdout },
): void {
  program
    .command('doctor')
    .description(
      'Preflight: Redis (noeviction), the mode, LaunchDarkly (each AI Config served, enabled, with known tools ' +
        'to a sample user of each segment), provider keys and model ids, prices, the events endpoint and, with ' +
        'LD_API_TOKEN, the project, metrics and running experiments. One line per check; exits 1 if any fails',
    )
    .option('-m, --manifest <file>', 'AI Config manifest', dataPath('manifest.yaml'))
    .option('-p, --project <key>', 'LaunchDarkly project for the REST checks (default: LD_PROJECT)')
    .option(
      '-e, --environment <key>',
      'LaunchDarkly environment of the experiments (default: LD_ENVIRONMENT, else production)',
    )
    .action(async (options: { manifest: string; project?: string; environment?: string }) => {
      const report = await runDoctor({
        env: io.env,
        manifestPath: options.manifest,
        project: options.project,
        environment: options.environment,
      });
      printReport(report, io.stdout);
      if (!report.ok) {
        (io.setExitCode ?? ((code) => (process.exitCode = code)))(DOCTOR_FAILED);
      }
    });
}
