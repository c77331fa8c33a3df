// A generated benchmark corpus: text, JSON logs, random bytes and already compressed data, so
// every run measures the same mix without downloading anything.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { SeededRandom } from '../../src/core/index.ts';

const WORDS =
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were their one all we can her has there been if more when will would who so no out up into do time only about two other new some could these may then first any like now my over such our man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still see own men work long here get both between life being under never day same another know while last might us great old year off come since against go came right used take three'.split(
    ' ',
  );

/** English-like text with punctuation and line breaks (compresses like prose: ratio ~3–4 with zstd 3). */
export function text(bytes: number, seed = 1): Buffer {
  const rnd = new SeededRandom(seed);
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    const n = 6 + rnd.int(14);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[rnd.int(WORDS.length)] as string);
    const s = `${words.join(' ')}${rnd.int(5) === 0 ? '.\n' : '. '}`;
    out.push(s);
    size += s.length;
  }
  return Buffer.from(out.join('')).subarray(0, bytes);
}

/** JSON access logs, one object a line (compresses ~8–12×). */
export function jsonLogs(bytes: number, seed = 2): Buffer {
  const rnd = new SeededRandom(seed);
  const paths = ['/', '/upload', '/files', '/api/v1/files', '/api/v1/compress', '/status', '/healthz'];
  const lines: string[] = [];
  let size = 0;
  let t = 1_490_990_000_000;
  while (size < bytes) {
    t += rnd.int(50);
    const line = `${JSON.stringify({
      time: new Date(t).toISOString(),
      level: rnd.int(20) === 0 ? 'warn' : 'info',
      method: rnd.int(4) === 0 ? 'POST' : 'GET',
      path: paths[rnd.int(paths.length)],
      status: rnd.int(30) === 0 ? 503 : 200,
      durationMs: Number((rnd.next() * 200).toFixed(3)),
      bytes: rnd.int(1_000_000),
      client: `10.${rnd.int(256)}.${rnd.int(256)}.${rnd.int(256)}`,
      requestId: rnd.int(2 ** 31).toString(16),
    })}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** The corpus files, written into `dir`; sizes in bytes per kind. */
export async function writeCorpus(dir: string, each: number): Promise<Record<string, string>> {
  const files: Record<string, Buffer> = {
    text: text(each),
    'json-logs': jsonLogs(each),
    random: randomBytes(each),
    // Media-like: already compressed, as JPEGs and videos are.
    compressed: zlib.gzipSync(text(each * 3, 9), { level: 6 }).subarray(0, each),
  };
  const out: Record<string, string> = {};
  for (const [name, data] of Object.entries(files)) {
    out[name] = join(dir, `${name}.bin`);
    await writeFile(out[name], data);
  }
  return out;
}
