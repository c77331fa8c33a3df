// Memory of a large streamed upload and download: POST /api/v1/files with SIZE bytes generated on
// the fly (never held by the client either), then GET it back decoded, hashing both ends.
// Reports the server's peak RSS (VmHWM) for the whole process (pid and threads, after `piper serve`
// re-executes itself with its heap options: same pid). The target: under 150 MB (10^6 bytes,
// = 143.1 MiB) for 1 GiB.
//
//   node bench/platform/upload-memory.ts                # 256 MiB, the routine run
//   node bench/platform/upload-memory.ts --size 1GiB    # the full check
//   node bench/platform/upload-memory.ts --bin dist/cli/bin.js   # the built package (after npm run build)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { parseSize } from '../../src/core/index.ts';
import { jsonLogs } from './corpus.ts';
import { startServe } from './serve-process.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '256MiB' }, bin: { type: 'string' } } });
const size = parseSize(values.size);

/** SIZE bytes: 1 MiB blocks alternating JSON logs and random bytes (a mix auto compresses ~2×). */
function* body(hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const logs = jsonLogs(1024 * 1024);
  let left = size;
  let i = 0;
  while (left > 0) {
    const block = (i++ % 2 === 0 ? logs : randomBytes(1024 * 1024)).subarray(0, Math.min(left, 1024 * 1024));
    hash.update(block);
    left -= block.length;
    yield block;
  }
}

const dir = await mkdtemp(join(tmpdir(), 'piper-bench-mem-'));
const server = await startServe(join(dir, 'data'), [], values.bin === undefined ? undefined : resolve(values.bin));
try {
  const startRss = await server.rss();
  const sent = createHash('sha256');
  const t = performance.now();
  const uploaded = await new Promise<{ id: string; codec: string; storedSize: number }>((resolve, reject) => {
    const req = request(
      new URL('/api/v1/files?name=big.bin', server.url),
      { method: 'POST', headers: { 'content-type': 'application/octet-stream' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () =>
          res.statusCode === 201 || res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    pipeline(Readable.from(body(sent)), req).catch(reject);
  });
  const upMs = performance.now() - t;
  const afterUpload = await server.peakRss();
  const got = createHash('sha256');
  const t2 = performance.now();
  await new Promise<void>((resolve, reject) => {
    request(new URL(`/api/v1/files/${uploaded.id}`, server.url), { headers: { 'accept-encoding': 'identity' } }, (res) => {
      res.on('data', (c: Buffer) => got.update(c));
      res.on('end', () => resolve());
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
  const downMs = performance.now() - t2;
  const peak = await server.peakRss();
  const same = got.digest('hex') === sent.digest('hex');
  const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
  const mb = (b: number) => (b / 1e6).toFixed(1);
  console.log(`size ${mib(size)} MiB, stored as ${uploaded.codec}, ${mib(uploaded.storedSize)} MiB at rest; round trip identical: ${same}`);
  console.log(`upload ${(size / 1e6 / (upMs / 1000)).toFixed(1)} MB/s, download ${(size / 1e6 / (downMs / 1000)).toFixed(1)} MB/s`);
  console.log(`server: ${await server.commandLine()}`);
  console.log(
    `RSS: ${mib(startRss)} MiB idle, peak ${mib(afterUpload)} MiB after upload, peak ${mib(peak)} MiB after download; growth over idle ${mib(peak - startRss)} MiB`,
  );
  console.log(
    `peak ${mb(peak)} MB against the target of < 150 MB: ${peak < 150e6 ? 'met' : 'NOT met'} (load average ${loadavg()[0]?.toFixed(2)})`,
  );
  if (!same) process.exitCode = 1;
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
