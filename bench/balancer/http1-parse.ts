// The balancer's HTTP/1.1 parser alone: nanoseconds per message for a typical nginx response
// head with a 100-byte body, and a browser-like request head with eight fields. Give a second
// checkout of the project (e.g. an earlier commit: `git worktree add /tmp/before HEAD~1`) to
// measure both in the same run, interleaved, with the ratio.
// Usage: node bench/balancer/http1-parse.ts [OTHER_CHECKOUT]

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Http1ParserHandler } from '../../src/http1/index.ts';

type ParserClass = typeof import('../../src/http1/index.ts').Http1Parser;

const here = join(import.meta.dirname, '../..');
const other = process.argv[2];
const trees: { name: string; Parser: ParserClass }[] = [];
for (const [name, root] of [['this tree', here], ...(other ? [['other', other]] : [])] as [string, string][]) {
  // The parser moved from the balancer to a part of its own: an older checkout has it there.
  const path = ['src/http1/http1-parser.ts', 'src/balancer/http1-parser.ts'].map((p) => join(root, p)).find((p) => existsSync(p));
  if (path === undefined) throw new Error(`${root}: no HTTP/1.1 parser under src/http1 or src/balancer`);
  const mod = (await import(path)) as { Http1Parser: ParserClass };
  trees.push({ name, Parser: mod.Http1Parser });
}

const MESSAGES = {
  response: Buffer.from(
    'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 03:10:00 GMT\r\nContent-Type: text/plain\r\n' +
      `Content-Length: 100\r\nConnection: keep-alive\r\n\r\n${'x'.repeat(100)}`,
  ),
  request: Buffer.from(
    'GET /some/path?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\r\n' +
      'Accept: text/html,application/xhtml+xml\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n' +
      'Cookie: session=abcdef0123456789; theme=dark\r\nX-Custom-Header: something\r\nConnection: keep-alive\r\n\r\n',
  ),
} as const;

let sink = 0;
const handler: Http1ParserHandler = {
  onMessageHead(headers) {
    sink += Object.keys(headers).length;
  },
  onMessageBody(_buf, start, end) {
    sink += end - start;
  },
  onMessageComplete() {
    sink++;
  },
};

const PER_ROUND = 200_000;
const ROUNDS = 9;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
const lines: string[] = [`| message | ${trees.map((t) => `${t.name} ns`).join(' | ')}${trees.length > 1 ? ' | this ÷ other |' : ' |'}`];
lines.push(`|---|${trees.map(() => '---|').join('')}${trees.length > 1 ? '---|' : ''}`);
for (const role of ['response', 'request'] as const) {
  const buf = MESSAGES[role];
  const parsers = trees.map((t) => new t.Parser(handler, role));
  const ns: number[][] = trees.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    parsers.forEach((p, i) => {
      const t0 = process.hrtime.bigint();
      for (let n = 0; n < PER_ROUND; n++) {
        p.reset(false);
        p.execute(buf, 0);
      }
      (ns[i] as number[]).push(Number(process.hrtime.bigint() - t0) / PER_ROUND);
    });
  }
  const m = ns.map(median);
  lines.push(
    `| ${role} | ${m.map((v) => v.toFixed(0)).join(' | ')} |${trees.length > 1 ? ` ${((m[0] as number) / (m[1] as number)).toFixed(2)}× |` : ''}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n\nmedian of ${ROUNDS} rounds of ${PER_ROUND} messages each (checksum ${sink % 1000})\n`);
