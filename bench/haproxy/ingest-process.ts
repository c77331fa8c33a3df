// The log ingestor as its own process, for bench/haproxy/log-ingest.ts: HAProxy's syslog
// datagrams received on a UDP port (SyslogReceiver), parsed and folded into one-second windows
// (LogIngestor + WindowAggregator on the real clock), as `piper up --data-plane haproxy` would.
// Its CPU is its own (process.cpuUsage), so the lines it folds per CPU-second are measured apart
// from HAProxy, wrk and the backends. Commands, one per stdin line, each answered on one stdout line:
//   mark            start counting and keeping datagrams (from here)     -> marked
//   report          counts and CPU since the mark, kernel drops          -> {json}
//   dump FILE       write the datagrams kept (length-prefixed) to FILE   -> dumped N
//   replay FILE N   parse and fold N datagrams of FILE (cycling), timed  -> {json}
// Usage: node bench/haproxy/ingest-process.ts PORT [KEEP_DATAGRAMS]
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SystemClock } from '../../src/core/index.ts';
import { LogIngestor, type LogLineCounts, SyslogReceiver } from '../../src/haproxy/index.ts';
import { WindowAggregator } from '../../src/telemetry/index.ts';

const port = Number(process.argv[2] ?? '0');
const keep = Number(process.argv[3] ?? '0');
const clock = new SystemClock();
const aggregator = new WindowAggregator({ clock, windowMs: 1000, retain: 60 });
let windows = 0;
aggregator.onWindow(() => windows++);
const ingestor = new LogIngestor({ aggregator, clock, poolOf: () => 'vendor' });

// Datagrams kept for replay: copied into one arena, not one Buffer each (a few MB, no GC churn).
const arena = Buffer.allocUnsafe(keep > 0 ? keep * 160 : 0);
const offsets = new Uint32Array(keep + 1);
let kept = 0;
const receiver = new SyslogReceiver({
  port,
  onDatagram: (d) => {
    ingestor.ingest(d);
    const at = offsets[kept] as number;
    if (kept < keep && at + d.length <= arena.length) {
      d.copy(arena, at);
      offsets[kept + 1] = at + d.length;
      kept++;
    }
  },
});
await receiver.listen();
process.stdout.write(`listening ${receiver.port}\n`);

let markCpu = process.cpuUsage();
let markCounts: LogLineCounts = ingestor.counts();
let markDrops = (await receiver.kernelDrops()) ?? 0;

const diff = (a: LogLineCounts, b: LogLineCounts): LogLineCounts => {
  const out = { ...a };
  for (const k of Object.keys(out) as Array<keyof LogLineCounts>) out[k] -= b[k];
  return out;
};

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg, count] = line.split(' ');
  if (cmd === 'mark') {
    kept = 0;
    markCounts = ingestor.counts();
    markDrops = (await receiver.kernelDrops()) ?? 0;
    markCpu = process.cpuUsage();
    process.stdout.write('marked\n');
  } else if (cmd === 'report') {
    const cpu = process.cpuUsage(markCpu);
    const drops = ((await receiver.kernelDrops()) ?? 0) - markDrops;
    process.stdout.write(
      `${JSON.stringify({ ...diff(ingestor.counts(), markCounts), kernelDrops: drops, cpuSeconds: (cpu.user + cpu.system) / 1e6, windows })}\n`,
    );
  } else if (cmd === 'dump' && arg !== undefined) {
    const out = Buffer.allocUnsafe((offsets[kept] as number) + 2 * kept);
    let at = 0;
    for (let i = 0; i < kept; i++) {
      const len = (offsets[i + 1] as number) - (offsets[i] as number);
      out.writeUInt16BE(len, at);
      arena.copy(out, at + 2, offsets[i], offsets[i + 1]);
      at += 2 + len;
    }
    writeFileSync(arg, out.subarray(0, at));
    process.stdout.write(`dumped ${kept}\n`);
  } else if (cmd === 'replay' && arg !== undefined) {
    // Parse and fold only: the same datagrams, no socket. Sliced from one file buffer, as
    // dgram hands each datagram over as its own Buffer.
    const file = readFileSync(arg);
    const datagrams: Buffer[] = [];
    for (let at = 0; at + 2 <= file.length; ) {
      const len = file.readUInt16BE(at);
      datagrams.push(file.subarray(at + 2, at + 2 + len));
      at += 2 + len;
    }
    const n = Number(count ?? datagrams.length);
    const before = ingestor.counts();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) ingestor.ingest(datagrams[i % datagrams.length] as Buffer);
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${JSON.stringify({ ...diff(ingestor.counts(), before), cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
  } else if (cmd === 'exit') {
    break;
  }
}
ingestor.close();
aggregator.close();
await receiver.close();
process.stdin.destroy();
