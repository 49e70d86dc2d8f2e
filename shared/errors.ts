import type { z } from 'zod';
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

/**
 * A problem the user can fix (a bad option, a busy port, an unreachable service): `cli.ts` prints its message
 * as one line, without a stack trace, and exits with its `exitCode`. The message says what to do.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A start-up problem the user must fix (bad env var, missing key, bad option): exit 2. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
  }
}

/**
 * The `UserError` that a system error stands for, when it is one a user fixes (a port in use, a refused
 * connection); otherwise `undefined`. `what` names the thing, e.g. "dashboard port 3000".
 */
export function userErrorOf(err: unknown): UserError | undefined {
  if (err instanceof UserError) {
    return err;
  }
  if (!(err instanceof Error)) {
    return undefined;
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  if (typeof e.code !== 'string') {
    // fetch() wraps the system error: "fetch failed", with the refused connection as its cause.
    const inner = err.cause instanceof Error ? userErrorOf(err.cause) : undefined;
    return inner ? new UserError(inner.message, inner.exitCode, { cause: err }) : undefined;
  }
  const where = e.port !== undefined ? `${e.address ?? ''}:${e.port}` : (e.address ?? '');
  switch (e.code) {
    case 'EADDRINUSE':
      return new UserError(
        `port ${where} is already in use: stop the process that has it or choose another port`,
        1,
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
      return new UserError(`cannot listen on ${where}: no such local address; choose another host`, 1, {
        cause: err,
      });
    case 'EACCES':
      if (e.syscall === 'listen') {
        return new UserError(`no permission to listen on ${where}: choose a port above 1023`, 1, {
          cause: err,
        });
      }
      return undefined;
    case 'ECONNREFUSED':
      return new UserError(`connection refused by ${where}: is the service running there?`, 1, {
        cause: err,
      });
    case 'ENOTFOUND':
      return new UserError(`cannot resolve host ${e.hostname ?? where}: check the URL`, 1, { cause: err });
    default:
      return undefined;
  }
}

/** Formats the first problem of a failed parse as `field.path: message`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) =>
      // An unknown field is named as its own path (cut short: the name itself may be huge).
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${[...issue.path, key.slice(0, 64)].join('.')}: unknown field`)
        : [`${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`],
    )
    .join('; ');
}
