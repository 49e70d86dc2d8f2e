import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export interface BrowserOptions {
  credentials?: { username: string; password: string };
  /** Chromium `--host-resolver-rules`, e.g. `MAP evil.test 127.0.0.1` for a rebinding attacker's name. */
  hostResolverRules?: string;
}

/**
 * Debian's Chromium, headless, with a fresh profile and no background traffic; closed (and its profile removed)
 * by the cleanup it pushes.
 */
export async function openBrowser(
  cleanups: (() => Promise<unknown>)[],
  options: BrowserOptions = {},
): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'loadgen-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.hostResolverRules ? [`--host-resolver-rules=${options.hostResolverRules}`] : []),
    ],
    viewport: { width: 1280, height: 900 },
    ...(options.credentials ? { httpCredentials: options.credentials } : {}),
  });
  cleanups.push(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}
