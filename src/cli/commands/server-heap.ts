/**
 * The size, in MiB, of each of V8's two young-generation semi-spaces, per long-running command.
 *
 * `piper serve`: 1 MiB.
 * Why: a streaming server turns every socket read, codec output and file read (up to 64 KiB each)
 * into a Buffer whose bytes live outside the JavaScript heap. V8 frees them only when the small
 * Buffer object dies in a garbage collection, and with its default young generation (semi-spaces
 * growing from 1 MiB to 16 MiB and more) collections come so rarely that V8's external-memory
 * trigger (~64 MiB of dead Buffers) fires first: a 1 GiB upload held ~70 MiB of garbage. With
 * 1 MiB a scavenge runs every few MB of streamed data and frees them, at no measurable CPU cost
 * (docs/platform.md, "Memory").
 */
export const SERVE_SEMI_SPACE_MIB = 1;

/**
 * `piper serve` also lets its old generation grow to 3x what survived the last full collection
 * (`--heap-growing-percent=200`) before the next one starts.
 * Why: V8 weighs the bytes of Buffers allocated since the last full collection against the old
 * generation's limit when it decides to start one (as its traces show), even though the young ones
 * die in the next scavenge. With a heap of ~19 MB its own growing factor left ~8 MB of room, and a
 * stream moves 12–25 MB of Buffers between two scavenges: a zstd request of 33.6 MB ran 3–4
 * Mark-Compacts (~15 ms of marking each) for a heap that barely changed. With 200 % there were
 * none in 6 requests of either kind, and a 1 GiB upload peaked within the spread of before
 * (docs/platform-profile.md).
 */
export const SERVE_HEAP_GROWING_PERCENT = 200;

/**
 * `piper up`: 8 MiB. The balancer streams small answers at thousands a second; its default young
 * generation (semi-spaces growing to 64 MiB on a machine with this much memory) took RSS from
 * ~125 to ~280 MiB over a minute under 3x overload, growth a leak would look like. 8 MiB keeps
 * RSS at ~130 MiB for ~4 % fewer requests per CPU-second than the default (1 MiB: ~12 % fewer),
 * measured with `bench/balancer/proxy-throughput.ts` (docs/benchmarks.md).
 */
export const UP_SEMI_SPACE_MIB = 8;

/**
 * `piper loadtest` and `piper capacity`: 8 MiB too. A load generator's pauses are its send lag:
 * at ~7.5 k requests/s its p99 send lag was 5–15 ms with the default young generation and
 * 4.4–4.9 ms with 8 MiB (bench/balancer/added-latency.ts, docs/benchmarks.md).
 */
export const GENERATOR_SEMI_SPACE_MIB = 8;

const SEMI_SPACE_MIB: Record<string, number> = {
  serve: SERVE_SEMI_SPACE_MIB,
  up: UP_SEMI_SPACE_MIB,
  loadtest: GENERATOR_SEMI_SPACE_MIB,
  capacity: GENERATOR_SEMI_SPACE_MIB,
};

/**
 * glibc's malloc arenas for every command re-executed here (MALLOC_ARENA_MAX, mallopt(3)). By default every thread
 * that allocates (libuv's threadpool running the codecs, V8's helpers) may get an arena of its own
 * that keeps what it freed; two shared arenas measured 9 MiB less idle and 14 MiB less at peak, at
 * no measurable CPU cost. Other C libraries ignore the variable.
 */
export const MALLOC_ARENAS = 2;

/** Whether a node option sets the semi-space size (`--max-semi-space-size=N`, V8's `_` spelling too). */
function setsSemiSpace(option: string): boolean {
  return /^--max[-_]semi[-_]space[-_]size(=|$)/.test(option);
}

/** How to re-execute a server command: node options first, and the environment. */
export interface ServerRestart {
  options: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * How to re-run `piper ARGS`, or undefined when nothing needs to change: the command is not a
 * long-running one (`serve`, `up`, `loadtest`, `capacity`), or only asks for help, or the semi-space size is already set, by an
 * earlier re-execution or by the operator (`node --max-semi-space-size=16 ... serve` or
 * NODE_OPTIONS), whose choice wins; a MALLOC_ARENA_MAX already in the environment wins too.
 */
export function serverRestart(args: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): ServerRestart | undefined {
  const semiSpace = SEMI_SPACE_MIB[args[0] ?? ''];
  if (semiSpace === undefined || args.includes('--help') || args.includes('-h')) return undefined;
  if (execArgv.some(setsSemiSpace) || (env.NODE_OPTIONS ?? '').split(/\s+/).some(setsSemiSpace)) return undefined;
  const growing = args[0] === 'serve' ? [`--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`] : [];
  return {
    // Before the operator's own node options, so that theirs win (V8 keeps a flag's last value).
    options: [`--max-semi-space-size=${semiSpace}`, ...growing, ...execArgv],
    env: { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? String(MALLOC_ARENAS) },
  };
}

/** What {@link reexecForServer} needs of `process` (injected so tests need not replace the process). */
export interface ReexecTarget {
  readonly argv: readonly string[];
  readonly execArgv: readonly string[];
  readonly execPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly execve?: ((file: string, args?: readonly string[], env?: NodeJS.ProcessEnv) => never) | undefined;
}

/**
 * For `piper serve`, `up`, `loadtest` and `capacity`, replaces the process (same pid, same stdio, nothing else loaded
 * yet) with one running the same command with {@link serverRestart}'s settings: V8 sizes its heap, and glibc its
 * arenas, when the process starts, so neither can be set from inside. Returns (does nothing) for
 * other commands, when the settings are already there, and where `process.execve` does not exist
 * (Windows).
 */
export function reexecForServer(target: ReexecTarget): void {
  const restart = serverRestart(target.argv.slice(2), target.execArgv, target.env);
  if (restart === undefined || typeof target.execve !== 'function') return;
  target.execve(target.execPath, [target.execPath, ...restart.options, ...target.argv.slice(1)], restart.env);
}
