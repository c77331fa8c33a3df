import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './clock.ts';

test('a manual clock fires timers in time order, each seeing its due time', () => {
  const clock = new ManualClock(1000);
  const seen: string[] = [];
  clock.setTimeout(() => seen.push(`b@${clock.now()}`), 200);
  clock.setTimeout(() => seen.push(`a@${clock.now()}`), 100);
  clock.advance(150);
  assert.deepEqual(seen, ['a@1100']);
  clock.advance(100);
  assert.deepEqual(seen, ['a@1100', 'b@1200']);
  assert.equal(clock.now(), 1250);
});

test('an interval repeats until cancelled, and cancel is idempotent', () => {
  const clock = new ManualClock(0);
  let n = 0;
  const handle = clock.setInterval(() => n++, 1000);
  clock.advance(3500);
  assert.equal(n, 3);
  handle.cancel();
  handle.cancel();
  clock.advance(5000);
  assert.equal(n, 3);
  assert.equal(clock.pending, 0);
});

test('sleep resolves when the clock passes its time and rejects when aborted', async () => {
  const clock = new ManualClock(0);
  let done = false;
  const p = clock.sleep(500).then(() => {
    done = true;
  });
  await clock.tick(499);
  assert.equal(done, false);
  await clock.tick(1);
  await p;
  assert.equal(done, true);

  const ac = new AbortController();
  const aborted = clock.sleep(1000, ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  assert.equal(clock.pending, 0);
});

test('a system-clock sleep keeps the process alive until it ends (a drain loop must not end the process)', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `import { SystemClock } from ${JSON.stringify(new URL('./clock.ts', import.meta.url).href)};
await new SystemClock().sleep(50);
console.log('slept');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'slept');
});
