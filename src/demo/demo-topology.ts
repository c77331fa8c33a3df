import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { PiperConfigInput } from '../config/index.ts';
import type { DemoPlan } from './demo-plan.ts';
import type { ProcessGroup } from './process-group.ts';

/** Host header that routes to the in-house pool alone: how the capacity test reaches only that pool. */
export const CAPACITY_HOST = 'inhouse.capacity.internal';

/** The web route's sticky cookie: it keeps a beta user on one pool, and tells users apart in the numbers. */
export const BETA_COOKIE = 'beta_user';

/** What serves the demo's traffic: piper's own balancer, or HAProxy started and steered by piper up. */
export type DemoDataPlane = 'piper' | 'haproxy';

export interface DemoTopology {
  vendor: string[];
  inhouse: string[];
  publicUrl: string;
  adminUrl: string;
  dashboardUrl: string;
  configFile: string;
}

/**
 * Starts the afternoon's machines: three vendor servers, two in-house servers with a small
 * emulated capacity (the seed's badly configured hardware), and `piper up` in front of them, on
 * piper's own balancer or on HAProxy (which piper up starts, with its files in `dir/haproxy`).
 */
export async function startTopology(
  group: ProcessGroup,
  dir: string,
  plan: DemoPlan,
  adminToken: string,
  onLine: (name: string, line: string) => void,
  dataPlane: DemoDataPlane = 'piper',
): Promise<DemoTopology> {
  const serve = (name: string, extra: string[]) =>
    group.start({ name, args: ['serve', '--port', '0', '--data-dir', join(dir, name), ...extra], waitFor: ['platform'], onLine });
  const vendor = await Promise.all([1, 2, 3].map((i) => serve(`vendor-${i}`, [])));
  const inhouseFlags = ['--capacity-rps', String(plan.inhouseCapacityRps), '--max-concurrency', String(plan.inhouseMaxConcurrency)];
  const inhouse = await Promise.all([1, 2].map((i) => serve(`inhouse-${i}`, inhouseFlags)));
  const url = (p: { urls: Record<string, string> }): string => p.urls.platform as string;

  const config: PiperConfigInput = {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: adminToken },
    dashboard: { address: '127.0.0.1', port: 0 },
    dataPlane: {
      kind: dataPlane,
      haproxy: {
        statsSocket: join(dir, 'haproxy.sock'),
        serverStateFile: join(dir, 'haproxy.state'),
        runDir: join(dir, 'haproxy'),
        // Any free port for HAProxy's log lines, and one thread: the demo shares two cores with its servers.
        log: { port: 0 },
        nbthread: 1,
        stats: { enabled: false },
      },
    },
    pools: {
      vendor: {
        backends: vendor.map((p, i) => ({ name: `vendor-${i + 1}`, url: url(p) })),
        healthCheck: { path: '/readyz', interval: '1s', timeout: '500ms' },
      },
      inhouse: {
        backends: inhouse.map((p, i) => ({ name: `inhouse-${i + 1}`, url: url(p) })),
        healthCheck: { path: '/readyz', interval: '1s', timeout: '500ms' },
        // Overloaded, not dead: a short ejection keeps one capacity trial's overload from
        // spilling into the next (the default 30 s would halve the pool for the rest of the test).
        outlierDetection: { baseEjectionTime: '3s' },
      },
    },
    routes: [
      // The capacity test's own way in: an operator's route, kept off the status page and the migration form.
      { name: 'capacity-inhouse', match: { host: CAPACITY_HOST }, split: { inhouse: 100 }, internal: true },
      {
        name: 'web',
        match: { host: '*', pathPrefix: '/' },
        split: { vendor: 100, inhouse: 0 },
        sticky: { cookie: BETA_COOKIE },
        slo: { availability: '99.9%', latency: { threshold: '300ms', target: '99%' } },
      },
    ],
    migration: {
      steps: plan.steps,
      stepDuration: plan.stepDurationMs,
      headroom: plan.headroom,
      expectedPeak: plan.peakRps,
      deadMan: '10s',
    },
    storage: { path: join(dir, 'piper.db') },
    notifications: { resolveAfter: plan.resolveAfterMs },
    logging: { level: 'warn' },
  };
  const configFile = join(dir, 'piper.yaml');
  await writeFile(configFile, `# Written by piper demo for this run.\n${stringify(config)}`);
  const up = await group.start({
    name: 'piper-up',
    args: ['up', '--config', configFile],
    waitFor: ['public', 'admin', 'dashboard'],
    onLine,
  });
  return {
    vendor: vendor.map(url),
    inhouse: inhouse.map(url),
    publicUrl: up.urls.public as string,
    adminUrl: up.urls.admin as string,
    dashboardUrl: up.urls.dashboard as string,
    configFile,
  };
}
