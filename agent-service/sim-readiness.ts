import type { ReadinessCheck } from './app.js';

/**
 * The llm-sim readiness check: its `GET /healthz` answers 2xx within 2 s. Any other answer (a 404 from
 * something else on that port, a 5xx) is not ready.
 */
export async function simReadiness(simUrl: string): Promise<ReadinessCheck> {
  try {
    const res = await fetch(`${simUrl.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok
      ? { name: 'llm-sim', ok: true, detail: `reachable (HTTP ${res.status})` }
      : { name: 'llm-sim', ok: false, detail: `GET /healthz answered HTTP ${res.status}` };
  } catch (err) {
    return { name: 'llm-sim', ok: false, detail: `unreachable: ${(err as Error).message}` };
  }
}
