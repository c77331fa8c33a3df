import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ReexecTarget, reexecForServe, SERVE_MALLOC_ARENA_MAX, SERVE_SEMI_SPACE_MIB, serveRestart } from './serve-heap.ts';

const FLAG = `--max-semi-space-size=${SERVE_SEMI_SPACE_MIB}`;
const ARENAS = String(SERVE_MALLOC_ARENA_MAX);

test('serve gets the small young generation ahead of its other node options, and shared malloc arenas', () => {
  assert.deepEqual(serveRestart(['serve', '--port', '0'], [], { HOME: '/root' }), {
    options: [FLAG],
    env: { HOME: '/root', MALLOC_ARENA_MAX: ARENAS },
  });
  assert.deepEqual(serveRestart(['serve'], ['--inspect', '--trace-gc'], {})?.options, [FLAG, '--inspect', '--trace-gc']);
  // The operator's MALLOC_ARENA_MAX is kept.
  assert.equal(serveRestart(['serve'], [], { MALLOC_ARENA_MAX: '8' })?.env.MALLOC_ARENA_MAX, '8');
});

test('other commands, and serve --help, run as they are', () => {
  assert.equal(serveRestart(['up'], [], {}), undefined);
  assert.equal(serveRestart(['compress', 'serve'], [], {}), undefined);
  assert.equal(serveRestart([], [], {}), undefined);
  assert.equal(serveRestart(['serve', '--help'], [], {}), undefined);
  assert.equal(serveRestart(['serve', '-h'], [], {}), undefined);
});

test('a semi-space size already set (by the re-execution itself or by the operator) is kept: no loop, operator wins', () => {
  assert.equal(serveRestart(['serve'], [FLAG], {}), undefined);
  assert.equal(serveRestart(['serve'], ['--max-semi-space-size=16'], {}), undefined);
  assert.equal(serveRestart(['serve'], ['--max_semi_space_size=8'], {}), undefined);
  assert.equal(serveRestart(['serve'], [], { NODE_OPTIONS: '--max-semi-space-size=32 --trace-gc' }), undefined);
  // A different flag with a similar name does not count.
  assert.deepEqual(serveRestart(['serve'], ['--max-semi-space-size-foo'], {})?.options, [FLAG, '--max-semi-space-size-foo']);
});

function target(argv: string[], execve: ReexecTarget['execve'], execArgv: string[] = []): ReexecTarget {
  return { argv, execArgv, execPath: '/usr/bin/node', env: { HOME: '/root' }, execve };
}

test('reexecForServe replaces the process with the same script and arguments, and the environment plus the arena limit', () => {
  const calls: unknown[][] = [];
  const execve = ((...args: unknown[]) => {
    calls.push(args);
  }) as unknown as ReexecTarget['execve'];
  reexecForServe(target(['/usr/bin/node', '/app/bin.js', 'serve', '--port', '0'], execve, ['--trace-gc']));
  assert.deepEqual(calls, [
    [
      '/usr/bin/node',
      ['/usr/bin/node', FLAG, '--trace-gc', '/app/bin.js', 'serve', '--port', '0'],
      { HOME: '/root', MALLOC_ARENA_MAX: ARENAS },
    ],
  ]);
  calls.length = 0;
  reexecForServe(target(['/usr/bin/node', '/app/bin.js', 'validate'], execve));
  assert.equal(calls.length, 0);
});

test('without process.execve (Windows) serve runs with the defaults instead of failing', () => {
  assert.doesNotThrow(() => reexecForServe(target(['/usr/bin/node', '/app/bin.js', 'serve'], undefined)));
});
