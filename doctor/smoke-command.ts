import type { Env } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { formatTable } from './check-line.js';
import { printReport } from './command.js';
import { loadConfig } from './config.js';
import { runDoctor } from './run-doctor.js';
import { runSmoke } from './smoke.js';

/**
 * `loadgen run --smoke`: the doctor, then (when it passed) one request per servable variation through the
 * agent service at AGENT_SERVICE_URL. Returns the exit code: 0 when every line passed, 1 otherwise.
 */
export async function runSmokeCommand(env: Env, out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig(env);
  if (!config.agentServiceUrl) {
    throw new ConfigError(
      'AGENT_SERVICE_URL: run --smoke sends its requests to the agent service at this URL (it is not set)',
    );
  }
  const report = await runDoctor({ env });
  printReport(report, out);
  if (!report.ok) {
    out.write('smoke: not sent, the doctor failed (fix the lines above)\n');
    return 1;
  }
  const smoke = await runSmoke(report, config.agentServiceUrl);
  const failed = smoke.lines.filter((l) => !l.ok).length;
  out.write(`\n${formatTable(smoke.lines)}\n\n`);
  out.write(
    `smoke: ${smoke.lines.length} requests, cost $${smoke.costUsd.toFixed(6)}` +
      `${smoke.unpriced > 0 ? ` + ${smoke.unpriced} unpriced` : ''}; ` +
      `${failed === 0 ? 'all passed' : `${failed} failed`}\n`,
  );
  return failed === 0 ? 0 : 1;
}
