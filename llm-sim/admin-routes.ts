import { Hono } from 'hono';
import { z } from 'zod';
import type { Distribution } from './distribution.js';
import { FAULT_KINDS, type SimProfile } from './profile.js';
import { readBody } from './respond.js';
import type { SimState } from './sim-state.js';

const ScheduledFaultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  model: z.string().min(1).optional(),
  skip: z.number().int().min(0).optional(),
  count: z.number().int().min(1).optional(),
});

/** `zero` when every model answers at once (`--zero-latency`), `profile` when any has a latency to draw. */
export function latencySetting(profile: SimProfile): 'zero' | 'profile' {
  const zero = (d: Distribution) => (typeof d === 'number' ? d === 0 : d.dist === 'fixed' && d.value === 0);
  return Object.values(profile.models).every((m) => zero(m.latency.ttftMs) && zero(m.latency.perTokenMs))
    ? 'zero'
    : 'profile';
}

/**
 * `GET /stats`, `GET /v1/sim/requests`, `GET /v1/sim/settings`, `POST /v1/sim/faults`: the simulator's own
 * controls, no API key.
 */
export function adminRoutes(state: SimState): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/stats', (c) => c.json(state.stats()));

  // What a run records about the simulator it ran on (the readout does not judge latency on a zero-latency run).
  app.get('/v1/sim/settings', (c) => c.json({ latency: latencySetting(state.profile) }));

  app.get('/v1/sim/requests', (c) => {
    const model = c.req.query('model')?.toLowerCase();
    const requests = state.requests().filter((r) => model === undefined || r.model.toLowerCase() === model);
    return c.json({ requests });
  });

  app.post('/v1/sim/faults', async (c) => {
    const read = await readBody(c, ScheduledFaultSchema);
    if (!read.ok) {
      return c.json({ error: read.message }, 400);
    }
    state.scheduleFault(read.body);
    return c.json({ scheduled: read.body }, 202);
  });

  return app;
}
