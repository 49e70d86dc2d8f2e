import { Hono } from 'hono';
import { adminRoutes } from './admin-routes.js';
import { anthropicRoutes } from './anthropic-routes.js';
import { modelsRoutes } from './models-routes.js';
import { openAIRoutes } from './openai-routes.js';
import type { SimState } from './sim-state.js';

/** The simulator's HTTP app: OpenAI and Anthropic under `/v1`, controls beside them. */
export function createSimApp(state: SimState): Hono {
  const app = new Hono();
  app.route('/', adminRoutes(state));
  app.route('/v1', anthropicRoutes(state));
  app.route('/v1', openAIRoutes(state));
  app.route('/v1', modelsRoutes(state));
  app.notFound((c) =>
    c.json(
      { error: { message: `llm-sim has no route ${c.req.method} ${c.req.path}`, type: 'not_found' } },
      404,
    ),
  );
  app.onError((err, c) =>
    c.json({ error: { message: err.message || 'internal error', type: 'server_error' } }, 500),
  );
  return app;
}
