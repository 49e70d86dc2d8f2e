import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../cli.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  container_name?: string;
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  environment?: Record<string, string>;
  stop_grace_period?: string;
  profiles?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
/** What plain `docker compose up` starts: the services of no profile. */
const services = Object.fromEntries(Object.entries(compose.services).filter(([, s]) => !s.profiles));

/** Environment variable names declared in the config schemas (`config.ts` files and `*-env.ts` pieces). */
function variablesTheCodeReads(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (
        ['node_modules', 'dist', 'test', '.git'].includes(entry) ||
        (dir === '.' && ['kb', 'data'].includes(entry))
      ) {
        continue;
      }
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        visit(path);
      } else if (entry === 'config.ts' || entry.endsWith('-env.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) {
          names.add(match[1] as string);
        }
      }
    }
  };
  visit('.');
  return names;
}

function variablesInEnvExample(): Set<string> {
  const text = readFileSync('.env.example', 'utf8');
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] as string));
}

describe('docker-compose.yml', () => {
  it('has the topology of DESIGN.md', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['agent-service', 'dashboard', 'llm-sim', 'producer', 'redis', 'worker'].sort(),
    );
  });

  it('lets `docker compose up --scale worker=10` start ten workers', () => {
    const worker = services.worker as Service;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('starts services only after their dependencies are healthy, and every depended-on service has a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} -> ${dependency}`).toBe('service_healthy');
        expect(services[dependency]?.healthcheck, `${dependency} healthcheck`).toBeDefined();
      }
    }
    expect(services['agent-service']?.healthcheck?.test.join(' ')).toContain('/ready');
  });

  it("gives the agent service and the workers their drain time before Docker's SIGKILL", () => {
    const seconds = (name: string) =>
      Number(/^(\d+)s$/.exec(services[name]?.stop_grace_period ?? '')?.[1] ?? 0);
    expect(seconds('agent-service')).toBeGreaterThan(25); // AGENT_SHUTDOWN_GRACE_MS is at most 25 s
    expect(seconds('worker')).toBeGreaterThanOrEqual(60); // WORKER_SHUTDOWN_SECONDS defaults to 60
  });

  it('runs Redis with append-only persistence, noeviction and a volume', () => {
    const command = (services.redis as Service).command?.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(compose.volumes).toHaveProperty('redis-data');
  });

  it('runs the producer once, enqueueing 200 queries', () => {
    const producer = services.producer as Service;
    expect(producer.restart).toBe('no');
    expect(producer.command).toEqual(['run', '--queries', '200']);
  });

  it('gives every app service a command the CLI has', () => {
    const program = buildProgram();
    const known = new Set(program.commands.map((c) => c.name()));
    for (const [name, service] of Object.entries(services)) {
      if (name === 'redis') {
        continue;
      }
      const [command] = service.command ?? [];
      expect(known, `${name}: loadgen ${command}`).toContain(command);
    }
  });

  it('takes the dashboard password from .env rather than a default', () => {
    expect(services.dashboard?.environment?.DASHBOARD_PASSWORD).toMatch(/^\$\{DASHBOARD_PASSWORD:\?/);
  });
});

describe('.env.example', () => {
  it('lists every environment variable the code reads, and no more', () => {
    const read = variablesTheCodeReads();
    const listed = variablesInEnvExample();
    expect(
      [...read].filter((name) => !listed.has(name)).sort(),
      'read by the code but not in .env.example',
    ).toEqual([]);
    expect(
      [...listed].filter((name) => !read.has(name)).sort(),
      'in .env.example but read by no code',
    ).toEqual([]);
  });
});
