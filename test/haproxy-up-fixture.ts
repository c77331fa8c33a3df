// A piper.yaml for `piper up --data-plane haproxy` in a test's own folder: HAProxy's socket, state
// file, config and guard stay there; any free ports; one thread.
import { join } from 'node:path';

export const HAPROXY_UP_TOKEN = 'haproxy-up-admin-token-8c1e5f0a9d2b';

/** A piper.yaml for HAProxy in `dir`: everything it writes stays there. */
export function haproxyUpConfig(dir: string, pools: Record<string, string[]>, split: Record<string, number>): Record<string, unknown> {
  return {
    listeners: [{ name: 'public', address: '127.0.0.1', port: 0 }],
    admin: { address: '127.0.0.1', port: 0, token: HAPROXY_UP_TOKEN },
    dashboard: { enabled: false },
    dataPlane: {
      haproxy: {
        statsSocket: join(dir, 'haproxy.sock'),
        serverStateFile: join(dir, 'haproxy.state'),
        runDir: join(dir, 'haproxy'),
        log: { port: 0 },
        nbthread: 1,
        stats: { enabled: false },
      },
    },
    pools: Object.fromEntries(
      Object.entries(pools).map(([pool, urls]) => [
        pool,
        {
          backends: urls.map((url, i) => ({ name: `${pool}-${i + 1}`, url })),
          healthCheck: { path: '/', interval: '200ms', fall: 2, rise: 1 },
        },
      ]),
    ),
    routes: [{ name: 'web', split }],
    logging: { level: 'warn' },
  };
}
