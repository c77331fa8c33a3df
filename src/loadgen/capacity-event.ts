import { request } from 'undici';
import { PiperError } from '../core/index.ts';
import type { CapacityResult } from './capacity-finder.ts';
import type { RequestSpec } from './request-mix.ts';
import { loadgenErrors } from './loadgen-errors.ts';

/** The journal event a capacity result becomes; the migration capacity gate reads exactly this. */
export interface CapacityEvent {
  kind: 'capacity.result';
  source: 'loadgen';
  /** Pool name, or the target URL when no pool was named. */
  subject: string;
  actor: 'piper capacity';
  data: {
    target: string;
    pool: string | null;
    slo: { p99Ms: number; maxErrorRatio: number };
    capacityRps: number;
    /**
     * Where the capacity lies as the trials showed: lowerRps passed, upperRps shown to fail (null:
     * none did). Absent from events recorded before it existed.
     */
    interval?: CapacityResult['interval'];
    /** Arrival process of the trials (`poisson` unless asked otherwise); absent from older events. */
    arrivals?: CapacityResult['arrivals'];
    confidence: number;
    certifiedAt: number;
    require?: { factor: number; peakRps: number; passed: boolean };
    trials: CapacityResult['trials'];
    /** The request mix the trials sent (each kind's share of requests and body size), shown by the migration gate. */
    mix?: { method: string; path: string; share: number; bodyBytes: number }[];
  };
}

/**
 * Builds the `capacity.result` event from a result (only the documented keys go into `data`);
 * with the requests the trials sent, their mix too.
 */
export function capacityEvent(result: CapacityResult, requests?: readonly RequestSpec[]): CapacityEvent {
  const total = requests?.reduce((sum, r) => sum + r.weight, 0) ?? 0;
  return {
    kind: 'capacity.result',
    source: 'loadgen',
    subject: result.pool ?? result.target,
    actor: 'piper capacity',
    data: {
      target: result.target,
      pool: result.pool,
      slo: { p99Ms: result.slo.p99Ms, maxErrorRatio: result.slo.maxErrorRatio },
      capacityRps: result.capacityRps,
      interval: result.interval,
      arrivals: result.arrivals,
      confidence: result.confidence,
      certifiedAt: result.certifiedAt,
      ...(result.require === undefined ? {} : { require: result.require }),
      trials: result.trials,
      ...(requests === undefined || total <= 0
        ? {}
        : {
            mix: requests.map((r) => ({
              method: r.method,
              path: r.path,
              share: r.weight / total,
              bodyBytes: r.body === null ? 0 : Buffer.byteLength(r.body),
            })),
          }),
    },
  };
}

/**
 * Records the event in a control plane's journal: POST `{controlPlane}/api/v1/events` with a
 * bearer token. Throws PIPER_LOADGEN_JOURNAL_POST_FAILED with the status and body on refusal.
 */
export async function postCapacityEvent(controlPlane: string, token: string, event: CapacityEvent): Promise<void> {
  const url = `${controlPlane.replace(/\/+$/, '')}/api/v1/events`;
  let status: number;
  let body: string;
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(event),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    status = res.statusCode;
    body = await res.body.text();
  } catch (err) {
    throw new PiperError(
      loadgenErrors.PIPER_LOADGEN_JOURNAL_POST_FAILED,
      `cannot reach the control plane at ${url}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (status < 200 || status >= 300) {
    throw new PiperError(
      loadgenErrors.PIPER_LOADGEN_JOURNAL_POST_FAILED,
      `control plane refused the capacity event: HTTP ${status} ${body.slice(0, 200)}`,
      {
        retryable: status >= 500,
        details: { status },
      },
    );
  }
}
