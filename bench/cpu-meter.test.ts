import { describe, expect, it } from 'vitest';
import { CpuMeter, processCpuMs } from './cpu-meter.js';

/** Spins until this process has used `ms` more CPU time (by its own account, not the clock). */
function burn(ms: number): void {
  const start = process.cpuUsage();
  while (true) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) {
      return;
    }
  }
}

describe('CpuMeter', () => {
  it("reads a process's CPU time from /proc as the process itself counts it", async () => {
    const before = await processCpuMs(process.pid);
    const meter = await CpuMeter.start({ me: process.pid });
    burn(200);
    const after = await processCpuMs(process.pid);
    const use = await meter.stop('self');
    // /proc counts in 10 ms ticks; GC threads may add a little.
    expect(after - before).toBeGreaterThanOrEqual(180);
    expect(after - before).toBeLessThan(400);
    expect(use.processes.me).toBeGreaterThanOrEqual(180);
    expect(use.processes.self).toBeGreaterThanOrEqual(200);
    expect(use.machineBusy).toBeGreaterThan(0);
    expect(use.machineBusy).toBeLessThanOrEqual(1);
    expect(use.cores).toBeGreaterThan(0);
  });
});
