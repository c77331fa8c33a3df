// Streams COUNT datagrams of a capture (written by ingest-process.ts `dump`; cycled through when
// COUNT is larger) to a UDP port at a steady rate, as HAProxy sends its log lines: one datagram
// per line, on schedule at every turn of the event loop. Prints `sent N SECONDS` when done.
// Usage: node bench/haproxy/udp-replay.ts FILE PORT RATE_PER_SECOND COUNT
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [file, portArg, rateArg, countArg] = process.argv.slice(2);
const data = readFileSync(file as string);
const datagrams: Buffer[] = [];
for (let at = 0; at + 2 <= data.length; ) {
  const len = data.readUInt16BE(at);
  datagrams.push(data.subarray(at + 2, at + 2 + len));
  at += 2 + len;
}
const rate = Number(rateArg);
const count = Number(countArg ?? datagrams.length);
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.connect(Number(portArg), '127.0.0.1', resolve));
const start = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const slice = (): void => {
    // Catch up to where the schedule says we should be, then yield for the next slice.
    const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) socket.send(datagrams[sent % datagrams.length] as Buffer);
    if (sent >= count) resolve();
    else setImmediate(slice);
  };
  slice();
});
const seconds = (performance.now() - start) / 1000;
await new Promise<void>((resolve) => socket.close(resolve));
process.stdout.write(`sent ${sent} ${seconds.toFixed(3)}\n`);
