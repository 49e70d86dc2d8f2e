import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { ConfigError } from '../shared/errors.js';

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) {
    return true;
  }
  if (isIP(bare) === 4) {
    return bare.startsWith('127.');
  }
  if (isIP(bare) === 6) {
    return bare === '::1' || bare.startsWith('::ffff:127.');
  }
  return false;
}

/**
 * Refuses a binding that would put Bull Board (which can change jobs) and the run API on the network without
 * a password: Bull Board has no authentication of its own.
 */
export function assertSafeBinding(host: string, password: string | undefined): void {
  if (isLoopbackHost(host)) {
    return;
  }
  if (password === undefined) {
    throw new ConfigError(
      `DASHBOARD_PASSWORD is not set: the dashboard will not listen on the non-loopback host "${host}" ` +
        'without a password (set DASHBOARD_PASSWORD, or use --host 127.0.0.1)',
    );
  }
  if (password.replace(/\s/g, '').length < MIN_PUBLIC_PASSWORD_CHARS) {
    throw new ConfigError(
      `DASHBOARD_PASSWORD is too short for the non-loopback host "${host}": it needs at least ` +
        `${MIN_PUBLIC_PASSWORD_CHARS} characters that are not spaces`,
    );
  }
}

/** The shortest `DASHBOARD_PASSWORD` (spaces not counted) for a dashboard reachable from the network. */
export const MIN_PUBLIC_PASSWORD_CHARS = 8;

export interface AuthSettings {
  user: string;
  /** No password means no authentication; {@link assertSafeBinding} keeps that to loopback. */
  password: string | undefined;
}

/** Basic auth over every route (pages, JSON API, Bull Board and its static files), or a pass-through. */
export function authMiddleware(settings: AuthSettings): MiddlewareHandler {
  if (settings.password === undefined) {
    return async (_c, next) => next();
  }
  return basicAuth({
    username: settings.user,
    password: settings.password,
    realm: 'loadgen dashboard',
    invalidUserMessage: { error: 'authentication required' },
  });
}
