import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { isPiperError } from '../core/index.ts';
import { dropsOf, SyslogReceiver } from './syslog-receiver.ts';

/** Resolves when `check()` holds, polling the event loop (at most 5 s: the datagrams are on loopback). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('SyslogReceiver', () => {
  test('receives datagrams on a loopback port chosen by the kernel', async () => {
    const got: string[] = [];
    const receiver = new SyslogReceiver({ onDatagram: (d) => got.push(d.toString('latin1')) });
    await receiver.listen();
    assert.match(receiver.target, /^127\.0\.0\.1:\d+$/);
    const sender = createSocket('udp4');
    sender.send('<134>piper1 hello\n', receiver.port, '127.0.0.1');
    await until(() => got.length === 1);
    assert.deepEqual(got, ['<134>piper1 hello\n']);
    sender.close();
    await receiver.close();
    await receiver.close();
  });

  test('a log flood beyond the socket buffer is counted from the kernel drop counter: received + lost = sent', async (t) => {
    let received = 0;
    const receiver = new SyslogReceiver({ onDatagram: () => received++, receiveBufferBytes: 4096 });
    await receiver.listen();
    if ((await receiver.kernelDrops()) === null) {
      t.skip('no /proc/net/udp here');
      await receiver.close();
      return;
    }
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.connect(receiver.port, '127.0.0.1', resolve));
    const line = Buffer.from(`<134>Dec  7 09:59:09 haproxy[1]: piper1 ${'x'.repeat(100)}\n`);
    const sent = 2000;
    // Sent in one turn of the event loop: the receiver cannot read meanwhile, so its 4 KiB
    // buffer overflows and the kernel drops the rest.
    for (let i = 0; i < sent; i++) sender.send(line);
    await new Promise<void>((resolve) => sender.close(resolve));
    let drops = 0;
    await until(() => {
      void receiver.kernelDrops().then((d) => {
        drops = d ?? 0;
      });
      return received + drops === sent;
    });
    assert.ok(drops > 0, 'the flood overflowed the buffer');
    assert.equal(received + drops, sent);
    await receiver.close();
  });

  test('a port that is taken is PIPER_HAPROXY_LOG_BIND', async () => {
    const first = new SyslogReceiver({ onDatagram: () => undefined });
    await first.listen();
    const second = new SyslogReceiver({ onDatagram: () => undefined, port: first.port });
    await assert.rejects(second.listen(), (err) => isPiperError(err, 'PIPER_HAPROXY_LOG_BIND'));
    await first.close();
    await second.close();
  });

  test('dropsOf reads the drops column of the socket bound to host:port', () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      ' 1201: 0100007F:B1CA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123 2 0000000000000000 17',
      ' 1202: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 124 2 0000000000000000 3',
    ].join('\n');
    assert.equal(dropsOf(table, '127.0.0.1', 0xb1ca), 17);
    assert.equal(dropsOf(table, '127.0.0.1', 53), null);
    assert.equal(dropsOf(table, '0.0.0.0', 53), 3);
  });
});
