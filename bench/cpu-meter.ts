import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** CPU time (user + system, every thread) a process has used so far, ms. */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

/** Busy and total CPU time of the whole machine so far, in ticks (the first line of /proc/stat). */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (await readFile('/proc/stat', 'utf8'))
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export interface CpuUse {
  /** CPU ms each named process used over the window. */
  processes: Record<string, number>;
  /** Share of the machine's CPU time (all cores) that was busy over the window, 0-1. */
  machineBusy: number;
  cores: number;
}

/**
 * CPU time of the pipeline's processes over a window, from /proc: where a job's CPU goes, and whether the
 * machine, not the pipeline's shape, is the limit. `self` counts this process (the producer runs in it).
 */
export class CpuMeter {
  private constructor(
    private readonly pids: Record<string, number>,
    private readonly start: Record<string, number>,
    private readonly machine: { busy: number; total: number },
    private readonly self: NodeJS.CpuUsage,
  ) {}

  static async start(pids: Record<string, number>): Promise<CpuMeter> {
    const start: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      start[name] = await processCpuMs(pid);
    }
    return new CpuMeter(pids, start, await machineTicks(), process.cpuUsage());
  }

  async stop(selfName: string): Promise<CpuUse> {
    const processes: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      processes[name] = (await processCpuMs(pid)) - (this.start[name] ?? 0);
    }
    const self = process.cpuUsage(this.self);
    processes[selfName] = (self.user + self.system) / 1000;
    const machine = await machineTicks();
    const total = machine.total - this.machine.total;
    return {
      processes,
      machineBusy: total > 0 ? (machine.busy - this.machine.busy) / total : 0,
      cores: cpus().length,
    };
  }
}
