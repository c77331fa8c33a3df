import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { type PiperUpProcess, startPiperUp } from '../balancer-process.ts';

const fixture = new URL('../backend-fixture.ts', import.meta.url).pathname;

/** Starts a fixture backend as its own process (so it can be killed with SIGKILL). */
function spawnBackend(name: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fixture, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening backend (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`backend ${name} exited with ${code}`)));
  });
}

describe('piper up: a backend killed under load', () => {
  const children: ChildProcess[] = [];
  let up: PiperUpProcess | undefined;
  after(async () => {
    await up?.stop();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('kill -9 of one backend: no GET fails', async () => {
    const [one, two] = await Promise.all([spawnBackend('one'), spawnBackend('two')]);
    children.push(one.child, two.child);
    up = await startPiperUp({
      listeners: [{ name: 'public', port: 0 }],
      admin: { port: 0 },
      pools: {
        p: {
          backends: [
            { name: 'one', url: one.url },
            { name: 'two', url: two.url },
          ],
        },
      },
      routes: [{ name: 'web', split: { p: 1 } }],
    });
    const url = `${up.publicUrl}/load`;
    const failures: string[] = [];
    const served: Record<string, number> = {};
    let sent = 0;
    const total = 3000;
    // Six clients in closed loops: with the default retry budget (at least 3 retries in flight)
    // every request caught on the dying backend can move to the other one.
    const client = async (): Promise<void> => {
      while (sent < total) {
        sent++;
        if (sent === 1000) one.child.kill('SIGKILL');
        try {
          const res = await request(url);
          const body = await res.body.text();
          if (res.statusCode !== 200) failures.push(`${res.statusCode} ${body}`);
          else served[body.trim()] = (served[body.trim()] ?? 0) + 1;
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, client));
    assert.deepEqual(failures, []);
    assert.ok((served.one ?? 0) > 100, `one served ${served.one} before it died`);
    assert.ok((served.two ?? 0) > 1500, `two served ${served.two}`);
  });
});
