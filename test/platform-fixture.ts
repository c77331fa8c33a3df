import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type PlatformConfig } from '../src/config/index.ts';
import type { Clock } from '../src/core/index.ts';
import { type PlatformServer, startPlatformServer } from '../src/platform/index.ts';

/** A platform server on 127.0.0.1, port 0, in a fresh data directory removed by close(). */
export interface PlatformFixture {
  server: PlatformServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** `clock` drives the server's timers (admission queue, body deadlines) by hand; the system clock when absent. */
export async function startFixture(overrides: Partial<PlatformConfig> = {}, clock?: Clock): Promise<PlatformFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'piper-platform-'));
  const config: PlatformConfig = { ...defaultConfig().platform, address: '127.0.0.1', port: 0, dataDir, ...overrides };
  const server = await startPlatformServer({ config, version: 'test', ...(clock === undefined ? {} : { clock }) });
  let closed = false;
  return {
    server,
    url: server.url,
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Text that compresses well, deterministic. */
export function sampleText(bytes: number): Buffer {
  const line = 'Pied Piper streams middle-out compression to every device, and stores each file once. ';
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length))).subarray(0, bytes);
}
