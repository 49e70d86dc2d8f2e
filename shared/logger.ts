import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are never logged. Every `*_API_KEY` variable the tool knows is listed, plus the
 * generic names that clients and HTTP layers use. Redaction is by configuration, not by care at call sites.
 */
export const SECRET_FIELDS = [
  'LD_SDK_KEY',
  'LD_API_TOKEN',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'MISTRAL_API_KEY',
  'DASHBOARD_PASSWORD',
  'sdkKey',
  'apiKey',
  'api_key',
  'apiToken',
  'token',
  'password',
  'authorization',
  'Authorization',
  'x-api-key',
  'cookie',
];

/** Redaction paths for a secret at the top level and up to three levels deep (`*.x`, `*.*.x`, `*.*.*.x`). */
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_FIELDS) {
    const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
    const join = (prefix: string) => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
    paths.push(key, join('*'), join('*.*'), join('*.*.*'));
  }
  return paths;
}

export interface LoggerSettings {
  level?: string;
  name?: string;
  /** Pretty output for people; defaults to whether stdout is a TTY. */
  pretty?: boolean;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/** A pino logger: JSON lines when not a TTY, readable when it is; secrets redacted. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    redact: { paths: redactPaths(), censor: '[redacted]' },
  };
  if (settings.name) {
    options.name = settings.name;
  }
  const pretty = settings.pretty ?? (settings.destination === undefined && process.stdout.isTTY === true);
  if (pretty) {
    options.transport = {
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
    };
    return pino(options);
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A URL with any password or username removed, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '***';
    }
    if (parsed.username && parsed.password === '') {
      parsed.username = '***';
    }
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
