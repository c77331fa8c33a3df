import { type Clock, PiperError } from '../core/index.ts';
import type { GateResult } from './capacity-gate.ts';
import type { MigrationDetail, MigrationView } from './migration-controller.ts';
import { rolloutErrors } from './rollout-errors.ts';

/** Body of POST /api/v1/migrations (docs/api.md, "Rollout"). */
export interface StartMigrationBody {
  route: string;
  to: string;
  from?: string;
  steps?: number[];
  stepDuration?: string | number;
  headroom?: number;
  overrideCapacityGate?: string;
  overrideHeadroom?: string;
  actor?: string;
}

/**
 * The rollout API over HTTP, for `piper migrate` and other programs. Errors keep the server's
 * code; a refused gate carries the gate's figures in `details.gate`.
 */
export class RolloutClient {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  constructor(options: { apiUrl: string; token?: string; clock: Clock; timeoutMs?: number }) {
    this.#base = options.apiUrl.replace(/\/+$/, '');
    this.#headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  start(body: StartMigrationBody): Promise<MigrationDetail> {
    return this.#call('POST', '/api/v1/migrations', body) as Promise<MigrationDetail>;
  }

  async list(): Promise<MigrationView[]> {
    return ((await this.#call('GET', '/api/v1/migrations')) as { migrations: MigrationView[] }).migrations;
  }

  get(id: string): Promise<MigrationDetail> {
    return this.#call('GET', `/api/v1/migrations/${encodeURIComponent(id)}`) as Promise<MigrationDetail>;
  }

  action(id: string, action: 'pause' | 'resume' | 'abort', actor: string, reason: string): Promise<MigrationDetail> {
    return this.#call('POST', `/api/v1/migrations/${encodeURIComponent(id)}/${action}`, { actor, reason }) as Promise<MigrationDetail>;
  }

  promote(id: string, all: boolean, actor: string): Promise<MigrationDetail> {
    return this.#call('POST', `/api/v1/migrations/${encodeURIComponent(id)}/promote`, { all, actor }) as Promise<MigrationDetail>;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const ctl = new AbortController();
    const timer = this.#clock.setTimeout(() => ctl.abort(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: { ...this.#headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: ctl.signal,
      });
    } catch (err) {
      throw new PiperError(
        rolloutErrors.PIPER_ROLLOUT_API_UNREACHABLE,
        `cannot reach the rollout API at ${this.#base}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    } finally {
      timer.cancel();
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = { error: { code: 'PIPER_ROLLOUT_API_UNREACHABLE', message: `not JSON (HTTP ${res.status}): ${text.slice(0, 200)}` } };
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string }; gate?: GateResult }).error;
      throw new PiperError(e?.code ?? 'PIPER_ROLLOUT_API_UNREACHABLE', e?.message ?? `HTTP ${res.status}`, {
        // A 409 refuses a well-formed request in the state it found (a follower, a route someone
        // else drives): not the operator's mistake, so the command fails (1) rather than misuses (2).
        source: res.status < 500 && res.status !== 409 ? 'operator' : 'upstream',
        details: { status: res.status, gate: (json as { gate?: GateResult }).gate },
      });
    }
    return json;
  }
}
