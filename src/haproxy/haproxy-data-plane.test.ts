import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unwrapConfig, validateConfig } from '../config/index.ts';
import { isPiperError, ManualClock, SeededRandom } from '../core/index.ts';
import { HaproxyDataPlane } from './haproxy-data-plane.ts';
import { HaproxyTelemetry } from './haproxy-telemetry.ts';
import { RuntimeApiClient } from './runtime-api-client.ts';

/** A data plane whose stats socket is `path`: nothing listens there. One attempt per call, so no back-off waits on the clock. */
async function dataPlaneAt(path: string): Promise<HaproxyDataPlane> {
  const config = unwrapConfig(
    validateConfig({
      dataPlane: { kind: 'haproxy', haproxy: { attach: true, statsSocket: path } },
      pools: {
        vendor: { backends: [{ name: 'v1', url: 'http://127.0.0.1:1' }] },
        inhouse: { backends: [{ name: 'h1', url: 'http://127.0.0.1:2' }] },
      },
      routes: [{ name: 'web', split: { vendor: 100, inhouse: 0 } }],
    }),
  );
  const clock = new ManualClock();
  const client = new RuntimeApiClient({ address: { path }, clock, random: new SeededRandom(1), attempts: 1 });
  const telemetry = await HaproxyTelemetry.start({ client, clock });
  return HaproxyDataPlane.start({ config, client, telemetry, clock, random: new SeededRandom(2) });
}

describe('HaproxyDataPlane: unreachable is what the Runtime API client calls retryable', () => {
  it('a stats socket that is not there (ENOENT, retryable: HAProxy may be starting) fails setSplit with PIPER_HAPROXY_UNREACHABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'piper-haproxy-dp-'));
    const dp = await dataPlaneAt(join(dir, 'stats.sock'));
    try {
      await assert.rejects(
        dp.setSplit('web', { vendor: 50, inhouse: 50 }, 'step'),
        (err) => isPiperError(err, 'PIPER_HAPROXY_UNREACHABLE') && err.retryable,
      );
    } finally {
      await dp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a stats socket path the system refuses (EINVAL: too long, not retryable) is no HAProxy away: its own code, not retryable', async () => {
    const dp = await dataPlaneAt(join(tmpdir(), 'x'.repeat(200), 'stats.sock'));
    try {
      await assert.rejects(
        dp.setSplit('web', { vendor: 50, inhouse: 50 }, 'step'),
        (err) => isPiperError(err, 'PIPER_HAPROXY_SOCKET_UNREACHABLE') && !err.retryable,
      );
    } finally {
      await dp.close();
    }
  });
});
