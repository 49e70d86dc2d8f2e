/** `loadgen doctor` as a library: the preflight that `run` and `start` call before a live run, and its report. */
export { printReport } from './command.js';
export { runDoctor, type DoctorOptions, type DoctorReport } from './run-doctor.js';
export { runSmokeCommand } from './smoke-command.js';
