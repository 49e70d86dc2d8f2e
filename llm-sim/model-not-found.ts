import type { Context } from 'hono';

/** OpenAI's (and Mistral's OpenAI-compatible) 404 for a model id it does not serve; the SDK throws `NotFoundError`. */
export function openAIModelNotFound(c: Context, model: string): Response {
  return c.json(
    {
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    },
    404,
  );
}

/** Anthropic's 404 for a model id it does not serve; the SDK throws `NotFoundError`. */
export function anthropicModelNotFound(c: Context, model: string): Response {
  return c.json({ type: 'error', error: { type: 'not_found_error', message: `model: ${model}` } }, 404);
}
