import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GENERATOR_SEMI_SPACE_MIB,
  MALLOC_ARENAS,
  type ReexecTarget,
  reexecForServer,
  SERVE_HEAP_GROWING_PERCENT,
  SERVE_SEMI_SPACE_MIB,
  serverRestart,
  UP_SEMI_SPACE_MIB,
} from './server-heap.ts';

const FLAG = `--max-semi-space-size=${SERVE_SEMI_SPACE_MIB}`;
const GROWING = `--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`;
const ARENAS = String(MALLOC_ARENAS);

test('serve gets the small young generation and the roomier old one ahead of its other node options, and shared malloc arenas', () => {
  assert.deepEqual(serverRestart(['serve', '--port', '0'], [], { HOME: '/root' }), {
    options: [FLAG, GROWING],
    env: { HOME: '/root', MALLOC_ARENA_MAX: ARENAS },
  });
  assert.deepEqual(serverRestart(['serve'], ['--inspect', '--trace-gc'], {})?.options, [FLAG, GROWING, '--inspect', '--trace-gc']);
  // The operator's MALLOC_ARENA_MAX is kept.
  assert.equal(serverRestart(['serve'], [], { MALLOC_ARENA_MAX: '8' })?.env.MALLOC_ARENA_MAX, '8');
});

test('piper up gets its own young-generation size', () => {
  assert.deepEqual(serverRestart(['up', '--config', 'p.yaml'], [], {})?.options, [`--max-semi-space-size=${UP_SEMI_SPACE_MIB}`]);
});

test('the load generators get theirs', () => {
  for (const cmd of ['loadtest', 'capacity']) {
    assert.deepEqual(serverRestart([cmd, 'http://127.0.0.1:1/'], [], {})?.options, [`--max-semi-space-size=${GENERATOR_SEMI_SPACE_MIB}`]);
  }
});

test('other commands, and serve --help, run as they are', () => {
  assert.equal(serverRestart(['events'], [], {}), undefined);
  assert.equal(serverRestart(['up', '--help'], [], {}), undefined);
  assert.equal(serverRestart(['compress', 'serve'], [], {}), undefined);
  assert.equal(serverRestart([], [], {}), undefined);
  assert.equal(serverRestart(['serve', '--help'], [], {}), undefined);
  assert.equal(serverRestart(['serve', '-h'], [], {}), undefined);
});

test('a semi-space size already set (by the re-execution itself or by the operator) is kept: no loop, operator wins', () => {
  assert.equal(serverRestart(['serve'], [FLAG], {}), undefined);
  assert.equal(serverRestart(['serve'], ['--max-semi-space-size=16'], {}), undefined);
  assert.equal(serverRestart(['serve'], ['--max_semi_space_size=8'], {}), undefined);
  assert.equal(serverRestart(['serve'], [], { NODE_OPTIONS: '--max-semi-space-size=32 --trace-gc' }), undefined);
  // A different flag with a similar name does not count.
  assert.deepEqual(serverRestart(['serve'], ['--max-semi-space-size-foo'], {})?.options, [FLAG, GROWING, '--max-semi-space-size-foo']);
});

function target(argv: string[], execve: ReexecTarget['execve'], execArgv: string[] = []): ReexecTarget {
  return { argv, execArgv, execPath: '/usr/bin/node', env: { HOME: '/root' }, execve };
}

test('reexecForServer replaces the process with the same script and arguments, and the environment plus the arena limit', () => {
  const calls: unknown[][] = [];
  const execve = ((...args: unknown[]) => {
    calls.push(args);
  }) as unknown as ReexecTarget['execve'];
  reexecForServer(target(['/usr/bin/node', '/app/bin.js', 'serve', '--port', '0'], execve, ['--trace-gc']));
  assert.deepEqual(calls, [
    [
      '/usr/bin/node',
      ['/usr/bin/node', FLAG, GROWING, '--trace-gc', '/app/bin.js', 'serve', '--port', '0'],
      { HOME: '/root', MALLOC_ARENA_MAX: ARENAS },
    ],
  ]);
  calls.length = 0;
  reexecForServer(target(['/usr/bin/node', '/app/bin.js', 'validate'], execve));
  assert.equal(calls.length, 0);
});

test('without process.execve (Windows) serve runs with the defaults instead of failing', () => {
  assert.doesNotThrow(() => reexecForServer(target(['/usr/bin/node', '/app/bin.js', 'serve'], undefined)));
});
