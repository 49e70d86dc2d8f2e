import { Hono } from 'hono';
import { z } from 'zod';
import { FAULT_KINDS } from './profile.js';
import { readBody } from './respond.js';
import type { SimState } from './sim-state.js';

const ScheduledFaultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  model: z.string().min(1).optional(),
  skip: z.number().int().min(0).optional(),
  count: z.number().int().min(1).optional(),
});

/** `GET /stats`, `GET /v1/sim/requests`, `POST /v1/sim/faults`: the simulator's own controls, no API key. */
export function adminRoutes(state: SimState): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/stats', (c) => c.json(state.stats()));

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
