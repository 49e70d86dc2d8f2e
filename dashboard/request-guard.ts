import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { MiddlewareHandler } from 'hono';
import { isLoopbackHost } from './auth.js';

/**
 * The Content-Security-Policy of every dashboard response. Scripts only from this origin (Bull Board's and
 * ours are files; the JSON data blocks are not run); inline styles are allowed because Bull Board's loading
 * screen and React's components use them. Nothing may frame a page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The name in a `Host` header, lower case, without its port or IPv6 brackets. */
function hostName(header: string): string {
  const trimmed = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(trimmed);
  if (bracketed) {
    return bracketed[1] as string;
  }
  return trimmed.replace(/:\d*$/, '');
}

/**
 * Which `Host` names a request may carry. An IP literal is always fine: a page can rebind a DNS name to
 * this machine, never an address it does not own. Names are the bound host's, `localhost`, the machine's
 * own name on a wildcard bind, and `allowed` (`DASHBOARD_ALLOWED_HOSTS`; `.example.com` also allows its
 * subdomains, `*` turns the check off).
 */
export function hostAllowed(host: string, bound: string, allowed: readonly string[]): boolean {
  const name = hostName(host);
  if (allowed.includes('*')) {
    return true;
  }
  if (isIP(name) !== 0 || name === hostName(bound) || isLoopbackHost(name)) {
    return true;
  }
  const wildcard = bound === '0.0.0.0' || bound === '::' || bound === '';
  if (wildcard) {
    const own = hostname().toLowerCase();
    if (name === own || name === own.split('.')[0]) {
      return true;
    }
  }
  return allowed.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    return wanted.startsWith('.') ? name.endsWith(wanted) || name === wanted.slice(1) : name === wanted;
  });
}

function isJson(contentType: string): boolean {
  return /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType);
}

/** Whether a request came from a page of another site (or one of this one's frames elsewhere). */
function crossSite(headers: Headers, url: URL): boolean {
  const site = headers.get('sec-fetch-site');
  if (site !== null) {
    // `none` is a user's own navigation (address bar, bookmark).
    return site !== 'same-origin' && site !== 'none';
  }
  const origin = headers.get('origin');
  if (origin === null) {
    // No browser sends a state-changing request without either header: curl, scripts, tests.
    return false;
  }
  try {
    return new URL(origin).host !== url.host;
  } catch {
    return true;
  }
}

export interface RequestGuardSettings {
  /** The host the server listens on (`--host`). */
  bound: string;
  /** `DASHBOARD_ALLOWED_HOSTS`: more names the dashboard may be reached by. */
  allowedHosts: readonly string[];
}

/**
 * Defences that basic auth does not give, on every request (before auth, so that a refused request learns
 * nothing): a `Host` that is not this server's is refused (DNS rebinding of the password-less loopback
 * default); a state-changing request from another site, or with a body that is not JSON, is refused (a
 * `text/plain` form would otherwise reach Bull Board's API, which parses any body as JSON, with the browser's
 * cached credentials); and every response carries the security headers.
 */
export function requestGuard(settings: RequestGuardSettings): MiddlewareHandler {
  return async (c, next) => {
    const refuse = (status: 403 | 415 | 421, error: string) => {
      c.res = c.json({ error }, status);
    };
    const headers = c.req.raw.headers;
    const host = headers.get('host');
    const method = c.req.method;
    if (host !== null && !hostAllowed(host, settings.bound, settings.allowedHosts)) {
      refuse(
        421,
        `this dashboard does not answer to the host "${hostName(host).slice(0, 100)}" (see DASHBOARD_ALLOWED_HOSTS)`,
      );
    } else if (method !== 'GET' && method !== 'HEAD' && crossSite(headers, new URL(c.req.url))) {
      refuse(403, 'cross-site requests may not change anything');
    } else if (
      method !== 'GET' &&
      method !== 'HEAD' &&
      (headers.has('content-type') || hasBody(headers)) &&
      !isJson(headers.get('content-type') ?? '')
    ) {
      refuse(415, 'send request bodies as JSON (content-type: application/json)');
    } else {
      await next();
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      c.res.headers.set(name, value);
    }
  };
}

function hasBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  return headers.has('transfer-encoding') || (length !== null && length.trim() !== '0');
}
