import type { RouteConfig } from '../config/index.ts';
import type { TimerHandle } from '../core/index.ts';
import type { RouteState, Split, SplitOrigin } from '../data-plane/index.ts';
import { hostMatches } from './host-match.ts';
import { RetryBudget } from './retry-budget.ts';

/** An armed dead-man guard: revert to `safeSplit` when no heartbeat for `timeoutMs`. */
export interface DeadManState {
  safeSplit: Split;
  timeoutMs: number;
  lastHeartbeat: number;
  timer: TimerHandle;
}

/** One route at run time: its match, current split (may differ from config), retry budget. */
export class RouteRuntime {
  readonly config: RouteConfig;
  readonly name: string;
  readonly host: string;
  readonly pathPrefix: string;
  readonly retryBudget: RetryBudget;
  split: Split;
  splitOrigin: SplitOrigin;
  /** Pool names of the split, sorted, so sticky ranges do not move when keys are reordered. */
  poolNames: readonly string[];
  deadMan: DeadManState | null = null;
  /** Requests of this route in flight (the retry budget's base). */
  active = 0;

  constructor(config: RouteConfig, split: Split, origin: SplitOrigin) {
    this.config = config;
    this.name = config.name;
    this.host = config.match.host.toLowerCase();
    this.pathPrefix = config.match.pathPrefix;
    this.retryBudget = new RetryBudget(config.retries.budget, config.retries.minRetryConcurrency);
    this.split = split;
    this.splitOrigin = origin;
    this.poolNames = Object.keys(split).sort();
  }

  setSplit(split: Split, origin: SplitOrigin): void {
    this.split = Object.freeze({ ...split });
    this.splitOrigin = origin;
    this.poolNames = Object.keys(split).sort();
  }

  matches(host: string, path: string): boolean {
    return hostMatches(this.host, host) && pathHasPrefix(path, this.pathPrefix);
  }

  snapshot(): RouteState {
    return {
      name: this.name,
      host: this.host,
      pathPrefix: this.pathPrefix,
      split: this.split,
      splitOrigin: this.splitOrigin,
      failover: this.config.failover,
      deadMan:
        this.deadMan === null
          ? null
          : { safeSplit: this.deadMan.safeSplit, timeoutMs: this.deadMan.timeoutMs, lastHeartbeat: this.deadMan.lastHeartbeat },
    };
  }
}

/** `/api` matches `/api`, `/api/x` and `/api?q`, not `/apix`; a prefix ending in `/` matches by string. */
function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  if (prefix.endsWith('/') || path.length === prefix.length) return true;
  const next = path.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}

/** Orders routes most specific first: exact host, then subdomain wildcard, then `*`; longer prefix first. */
export function sortRoutes(routes: RouteRuntime[]): RouteRuntime[] {
  const rank = (h: string): number => (h === '*' ? 2 : h.startsWith('*.') ? 1 : 0);
  return routes.sort((a, b) => rank(a.host) - rank(b.host) || b.pathPrefix.length - a.pathPrefix.length);
}
