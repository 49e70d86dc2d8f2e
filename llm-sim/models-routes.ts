import { Hono, type Context } from 'hono';
import { anthropicModelNotFound, openAIModelNotFound } from './model-not-found.js';
import { resolveModel, type SimProfile } from './profile.js';
import type { SimState } from './sim-state.js';

/** When the simulated models "were created": a fixed date, so answers are the same on every run. */
const CREATED = new Date('2025-01-01T00:00:00Z');

type Owner = 'anthropic' | 'openai' | 'mistralai';

function ownerOf(name: string): Owner {
  return name.startsWith('claude') ? 'anthropic' : name.startsWith('mistral') ? 'mistralai' : 'openai';
}

/** Every id the profile answers to (names and aliases, not `default`), with the profile model it means. */
function modelIds(profile: SimProfile): { id: string; name: string }[] {
  return Object.entries(profile.models)
    .filter(([name]) => name !== 'default')
    .flatMap(([name, model]) => [name, ...model.aliases].map((id) => ({ id, name })));
}

/** The Anthropic SDK sends `anthropic-version` on every call; OpenAI and Mistral clients do not. */
function isAnthropic(c: Context): boolean {
  return c.req.header('anthropic-version') !== undefined;
}

function openAIModel(id: string, name: string) {
  return { id, object: 'model', created: Math.floor(CREATED.getTime() / 1000), owned_by: ownerOf(name) };
}

function anthropicModel(id: string) {
  return {
    type: 'model',
    id,
    display_name: id,
    created_at: CREATED.toISOString(),
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: null,
    max_input_tokens: null,
    max_tokens: null,
    retires_at: null,
  };
}

/**
 * `GET /v1/models` and `GET /v1/models/{id}` in each provider's shape: the models of llm-sim's profile, Claude
 * models to an Anthropic client, the others to OpenAI-compatible clients (OpenAI, Mistral). An id the profile
 * does not simulate (it would fall back to `default`) is a 404 in the provider's error shape, as a real API
 * answers a model that does not exist.
 */
export function modelsRoutes(state: SimState): Hono {
  const app = new Hono();
  const served = (c: Context) =>
    modelIds(state.profile).filter(({ name }) => (ownerOf(name) === 'anthropic') === isAnthropic(c));

  app.get('/models', (c) => {
    const models = served(c);
    if (isAnthropic(c)) {
      const data = models.map(({ id }) => anthropicModel(id));
      return c.json({
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
    }
    return c.json({ object: 'list', data: models.map(({ id, name }) => openAIModel(id, name)) });
  });

  app.get('/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const { name } = resolveModel(state.profile, id);
    const known = name !== 'default' && served(c).some((m) => m.name === name);
    if (isAnthropic(c)) {
      return known ? c.json(anthropicModel(id)) : anthropicModelNotFound(c, id);
    }
    return known ? c.json(openAIModel(id, name)) : openAIModelNotFound(c, id);
  });
  return app;
}
