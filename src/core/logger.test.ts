import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('logs JSON lines with the part of a child logger and redacts authorization headers and tokens', () => {
  const out = capture();
  const log = createLogger({ destination: out.stream }).child({ part: 'balancer' });
  log.info({ req: { headers: { authorization: 'Bearer secret', host: 'a' } }, token: 'abc' }, 'request');
  const [line] = out.lines();
  assert.equal(line?.msg, 'request');
  assert.equal(line?.part, 'balancer');
  assert.deepEqual((line?.req as { headers: unknown } | undefined)?.headers, { authorization: '[redacted]', host: 'a' });
  assert.equal(line?.token, '[redacted]');
});

test('logs errors under err with their stack', () => {
  const out = capture();
  const log = createLogger({ destination: out.stream });
  log.error({ err: new Error('boom') }, 'failed');
  const [line] = out.lines();
  assert.match(String((line?.err as { stack: string } | undefined)?.stack), /boom/);
});
