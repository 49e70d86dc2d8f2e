/** Turns any thrown value into an `Error`, keeping the original as `cause`. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) {
    return value;
  }
  const message = typeof value === 'string' ? value : safeStringify(value);
  return new Error(message, { cause: value });
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A start-up problem the user must fix (bad env var, missing key). The CLI prints it without a stack. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
