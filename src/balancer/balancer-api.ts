import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiHandler, type Clock, matchPath, PiperError, readJson, sendCaught, sendJson } from '../core/index.ts';
import { type DataPlane, dataPlaneErrors, type SetSplitOptions, type Split, staleTermError } from '../data-plane/index.ts';
import { type MetricsRegistry, SseStream, type TelemetryWindow } from '../telemetry/index.ts';

/**
 * What the API drives: the port, an operator's drain, and the windows kept. piper's Balancer is
 * one; `piper up` on HAProxy serves the same API over its HAProxy data plane.
 */
export interface BalancerApiTarget extends DataPlane {
  drain(pool: string, backend: string, actor?: string): void | Promise<void>;
  undrain(pool: string, backend: string, actor?: string): void | Promise<void>;
  readonly telemetry: { recent(sinceMs?: number): readonly TelemetryWindow[] };
}

/** `GET /api/v1/windows`: the recent one-second windows, oldest first. */
export interface WindowList {
  windows: readonly TelemetryWindow[];
}

export interface BalancerApiOptions {
  balancer: BalancerApiTarget;
  clock: Clock;
  /** Serves GET /metrics. */
  registry: MetricsRegistry;
  /** Re-reads the config file and applies it (the same as SIGHUP). */
  reload: (actor: string) => Promise<void>;
}

/**
 * The balancer's slice of the control-plane API (docs/api.md, "Balancer"). Authentication is
 * done in front of it by `piper up`.
 */
export function createBalancerApi(o: BalancerApiOptions): ApiHandler {
  const { balancer } = o;
  return async (req, res, url) => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    try {
      if (path === '/metrics' && (method === 'GET' || method === 'HEAD')) {
        const text = o.registry.render();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(method === 'HEAD' ? undefined : text);
        return true;
      }
      if (!path.startsWith('/api/v1/')) return false;
      if (path === '/api/v1/state' && method === 'GET') {
        sendJson(res, 200, balancer.snapshot());
        return true;
      }
      if (path === '/api/v1/windows' && method === 'GET') {
        const since = Number(url.searchParams.get('since') ?? '0');
        if (!Number.isFinite(since)) throw badRequest('since must be epoch milliseconds');
        sendJson(res, 200, { windows: balancer.telemetry.recent(since) } satisfies WindowList);
        return true;
      }
      if (path === '/api/v1/windows/stream' && method === 'GET') {
        streamWindows(o, req, res);
        return true;
      }
      if (path === '/api/v1/reload' && method === 'POST') {
        const body = await optionalBody(req);
        await o.reload(actorOf(body));
        sendJson(res, 200, { reloaded: true, state: balancer.snapshot() });
        return true;
      }
      if (path === '/api/v1/term' && method === 'POST' && balancer.announceTerm !== undefined) {
        const { term, leader } = fenceOf(await optionalBody(req));
        if (term === undefined || leader === undefined) throw badRequest('term (a whole number) and leader (a name) are required');
        await balancer.announceTerm(term, leader);
        const state = balancer.snapshot();
        sendJson(res, 200, { term: state.term ?? null, leader: state.leader ?? null });
        return true;
      }
      let m = matchPath('/api/v1/routes/:route/split', path);
      if (m !== null && method === 'PUT') {
        const body = (await readJson(req)) as Record<string, unknown> | null;
        if (body === null || typeof body !== 'object') throw badRequest('body must be a JSON object');
        const options: SetSplitOptions = {};
        if (typeof body.actor === 'string') options.actor = body.actor;
        if (body.deadMan === null) options.deadMan = null;
        else if (body.deadMan !== undefined) {
          const dm = body.deadMan as { safeSplit?: unknown; timeoutMs?: unknown };
          options.deadMan = { safeSplit: dm.safeSplit as Split, timeoutMs: dm.timeoutMs as number };
        }
        Object.assign(options, fenceOf(body));
        if (typeof body.reason !== 'string') throw badRequest('reason is required (a string saying why)');
        await balancer.setSplit(m.route as string, body.split as Split, body.reason, options);
        sendJson(
          res,
          200,
          balancer.snapshot().routes.find((r) => r.name === m?.route),
        );
        return true;
      }
      m = matchPath('/api/v1/routes/:route/heartbeat', path);
      if (m !== null && method === 'POST') {
        const { term, leader } = fenceOf(await optionalBody(req));
        balancer.heartbeat(m.route as string, term, leader);
        const state = balancer.snapshot();
        // The port's heartbeat never throws; a deposed leader learns from the term it lost to.
        if (term !== undefined && state.term !== undefined && term < state.term) {
          throw staleTermError(m.route as string, term, state.term, state.leader ?? null);
        }
        const route = state.routes.find((r) => r.name === m?.route);
        sendJson(res, 200, { route: m.route, deadMan: route?.deadMan ?? null });
        return true;
      }
      m = matchPath('/api/v1/pools/:pool/backends/:backend/:action', path);
      if (m !== null && method === 'POST' && (m.action === 'drain' || m.action === 'undrain')) {
        const actor = actorOf(await optionalBody(req));
        if (m.action === 'drain') await balancer.drain(m.pool as string, m.backend as string, actor);
        else await balancer.undrain(m.pool as string, m.backend as string, actor);
        const pool = balancer.snapshot().pools.find((p) => p.name === m?.pool);
        sendJson(
          res,
          200,
          pool?.backends.find((b) => b.name === m?.backend),
        );
        return true;
      }
      return false;
    } catch (err) {
      return sendCaught(res, err);
    }
  };
}

function streamWindows(o: BalancerApiOptions, req: IncomingMessage, res: ServerResponse): void {
  const sse = new SseStream(res, { clock: o.clock });
  const abort = new AbortController();
  sse.onClose(() => abort.abort());
  req.on('close', () => abort.abort());
  void (async () => {
    for await (const w of o.balancer.windows(abort.signal)) {
      if (!sse.send('window', w, String(w.start))) break;
    }
    sse.close();
  })().catch(() => sse.close());
}

/** A POST body is optional here; when present it must be JSON (`{ "actor": "..." }`). */
async function optionalBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) return {};
  const body = await readJson(req);
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

/** A leader's `term` and name from a request body (fencing); both absent from an operator's. */
function fenceOf(body: Record<string, unknown>): { term?: number; leader?: string } {
  const out: { term?: number; leader?: string } = {};
  if (body.term !== undefined && body.term !== null) {
    if (typeof body.term !== 'number' || !Number.isSafeInteger(body.term) || body.term < 0)
      throw badRequest('term must be a whole number ≥ 0');
    out.term = body.term;
  }
  if (body.leader !== undefined && body.leader !== null) {
    if (typeof body.leader !== 'string' || body.leader === '') throw badRequest('leader must be a non-empty string');
    out.leader = body.leader.slice(0, 100);
  }
  return out;
}

function actorOf(body: Record<string, unknown>): string {
  return typeof body.actor === 'string' && body.actor !== '' ? body.actor.slice(0, 100) : 'operator';
}

function badRequest(message: string): PiperError {
  return new PiperError(dataPlaneErrors.PIPER_BALANCER_BAD_API_REQUEST, message);
}
