import { closestName } from './closest-name.ts';
import type { ConfigIssue } from './config-issue.ts';

/**
 * Names one part of the config gives another: the pools a route splits over and fails over to,
 * and route names (unique, since splits, migrations and alerts name them). Checked on the tree as
 * written, so that they are reported with the schema's problems in one pass rather than only once
 * every other key is right. Parts of the wrong shape are skipped: the schema reports those.
 */
export function referenceIssues(tree: unknown): ConfigIssue[] {
  if (!isRecord(tree)) return [];
  const issues: ConfigIssue[] = [];
  const pools = isRecord(tree.pools) ? Object.keys(tree.pools) : [];
  const unknownPool = (pool: string): string => {
    const meant = closestName(pool, pools);
    return `unknown pool "${pool}" (${meant !== undefined ? `did you mean "${meant}"? ` : ''}pools: ${pools.join(', ') || 'none'})`;
  };
  const routes = Array.isArray(tree.routes) ? tree.routes : [];
  const seen = new Set<string>();
  routes.forEach((route: unknown, i) => {
    if (!isRecord(route)) return;
    if (typeof route.name === 'string') {
      if (seen.has(route.name))
        issues.push({ path: `routes[${i}].name`, message: `duplicate route name "${route.name}"`, value: route.name });
      seen.add(route.name);
    }
    if (isRecord(route.split)) {
      for (const [pool, weight] of Object.entries(route.split)) {
        if (!pools.includes(pool)) issues.push({ path: `routes[${i}].split.${pool}`, message: unknownPool(pool), value: weight });
      }
    }
    if (Array.isArray(route.failover)) {
      route.failover.forEach((pool: unknown, j) => {
        if (typeof pool === 'string' && !pools.includes(pool)) {
          issues.push({ path: `routes[${i}].failover[${j}]`, message: unknownPool(pool), value: pool });
        }
      });
    }
  });
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
