// Rollback on HAProxy (issue 17, "Speed"): from the target's first failing response to the last
// request it gets, median of 5 migrations, target ≤ 2 s; piper's own balancer in the same run as
// the peer. For each data plane, one `piper up` (HAProxy started by it, or its Node balancer), two
// fixture pools, 100 req/s of GETs through it; five times: a migration to `inhouse` (steps 50 %,
// 100 %), and once at 50 % the target answers every 5th request with a 500 (20 %). Measured on the
// target itself: its first 500 and the last request it received (after a 600 ms quiet spell);
// and, from the journal, `migration.rolled_back`'s time minus the recorded first failure.
// Usage: node bench/haproxy/rollback.ts [RUNS]   (default 5; ~40 s)
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { SystemClock } from '../../src/core/index.ts';
import { RolloutClient } from '../../src/rollout/index.ts';
import { ADMIN_TOKEN, certifyOverApi, type MigrationRig, migrationRig, waitFor } from '../../test/rollout-harness.ts';

const runs = Number(process.argv[2] ?? '5');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  /** Target's first failing response → last request it received (ms, its own clock). */
  lastRequestMs: number;
  /** Journal: migration.rolled_back's time − its recorded firstFailureAt (ms). */
  journalMs: number;
  reason: string;
}

async function measure(dataPlane: 'haproxy' | 'piper'): Promise<Run[]> {
  const rig: MigrationRig = await migrationRig({ rps: 100, capacity: {}, dataPlane });
  try {
    await certifyOverApi(rig.up.adminUrl, 'inhouse');
    await sleep(2500);
    const api = new RolloutClient({ apiUrl: rig.up.adminUrl, token: ADMIN_TOKEN, clock: new SystemClock() });
    const out: Run[] = [];
    for (let i = 0; i < runs; i++) {
      rig.inhouse.failEvery = null;
      rig.inhouse.firstFailureAt = null;
      const m = await api.start({ route: 'web', to: 'inhouse', steps: [50, 100], stepDuration: '30s' });
      const before = rig.inhouse.requests;
      await waitFor('traffic on the target', () => (rig.inhouse.requests > before + 20 ? true : undefined));
      rig.inhouse.failEvery = 5;
      const done = await waitFor('the rollback', async () => {
        const v = await api.get(m.id);
        return v.phase === 'rolled_back' ? v : undefined;
      });
      // Quiet on the target for 600 ms: its last request is in.
      for (let seen = rig.inhouse.requests; ; seen = rig.inhouse.requests) {
        await sleep(600);
        if (rig.inhouse.requests === seen) break;
      }
      const rolled = done.events.find((e) => e.kind === 'migration.rolled_back');
      const first: number = rig.inhouse.firstFailureAt ?? Number.NaN;
      out.push({
        lastRequestMs: (rig.inhouse.lastRequestAt as number) - first,
        journalMs: (rolled?.time ?? Number.NaN) - (rolled?.data.firstFailureAt as number),
        reason: String(rolled?.data.reason ?? '').replace(/ \(.*$/, ''),
      });
      process.stderr.write(`  ${dataPlane} run ${i + 1}: ${JSON.stringify(out.at(-1))}\n`);
      await sleep(1000);
    }
    return out;
  } finally {
    await rig.close();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
const load = loadavg()[0]?.toFixed(1);
const haproxy = await measure('haproxy');
const piper = await measure('piper');
const rows = [
  ['first failing response → last request to the target, ms', haproxy.map((r) => r.lastRequestMs), piper.map((r) => r.lastRequestMs)],
  ['journal: rolled_back − recorded first failure, ms', haproxy.map((r) => r.journalMs), piper.map((r) => r.journalMs)],
] as const;
console.log(
  `\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}, Node ${process.versions.node}, load average ${load} at the start\n`,
);
console.log('| figure | HAProxy, each run | HAProxy median | piper balancer, each run | piper median |');
console.log('|---|---|---|---|---|');
for (const [label, h, p] of rows) console.log(`| ${label} | ${h.join(', ')} | **${median(h)}** | ${p.join(', ')} | ${median(p)} |`);
console.log(
  `| rule that fired | ${[...new Set(haproxy.map((r) => r.reason))].join('; ')} | | ${[...new Set(piper.map((r) => r.reason))].join('; ')} | |`,
);
const target = median(haproxy.map((r) => r.lastRequestMs));
console.log(`\nratio HAProxy ÷ piper balancer (medians): ${(target / median(piper.map((r) => r.lastRequestMs))).toFixed(2)}×`);
console.log(`target ≤ 2000 ms on HAProxy: ${target <= 2000 ? 'met' : 'NOT met'} (${target} ms)`);
