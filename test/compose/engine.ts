import { execFileSync } from 'node:child_process';

/** The lowest Compose that reads docker-compose.yml (top-level `name`, `env_file` with `path`/`required`). */
export const COMPOSE_MIN = [2, 24] as const;

/** Exit status when no usable Docker engine is there: the test did not run, which is not a pass. */
export const NOT_RUN_EXIT = 3;

function run(args: string[]): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  }).trim();
}

/**
 * Vitest global setup: a Docker engine answers at DOCKER_HOST (or Docker's default socket) and has Compose
 * 2.24 or newer. Otherwise it says so and exits with {@link NOT_RUN_EXIT}: nothing was tested.
 */
export default function setup(): void {
  const where = process.env.DOCKER_HOST ?? "Docker's default socket";
  let problem: string | undefined;
  try {
    const server = run(['version', '--format', '{{.Server.Version}}']);
    const compose = run(['compose', 'version', '--short']).replace(/^v/, '');
    const [major = 0, minor = 0] = compose.split(/[.-]/).map(Number);
    if (major < COMPOSE_MIN[0] || (major === COMPOSE_MIN[0] && minor < COMPOSE_MIN[1])) {
      problem = `Docker Compose ${compose} is older than ${COMPOSE_MIN.join('.')}`;
    } else {
      process.stderr.write(`test:compose: Docker engine ${server} at ${where}, Compose ${compose}\n`);
    }
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    problem = `no Docker engine with Compose answers at ${where}: ${(e.stderr || e.message).trim().split('\n')[0]}`;
  }
  if (problem) {
    process.stderr.write(
      `\ntest:compose: NOT RUN: ${problem}.\n` +
        'Point DOCKER_HOST at an engine (on this kind of machine: ../shared/docker-engine/engine-up.sh).\n',
    );
    process.exit(NOT_RUN_EXIT);
  }
}
