import { connect } from 'node:net';

const refusingPorts = new Set<number>();

/**
 * A URL whose port refuses connections for the whole run: a port from 700 to 988 that nothing listens
 * on. A port bound and closed again was handed to another test's server (port 0) and answered.
 */
export async function refusingUrl(): Promise<string> {
  // From 700: the ports fetch refuses to use (1, 7, 9 …, WHATWG "bad ports") lie outside 700..988.
  for (let port = 700; port < 989; port++) {
    if (refusingPorts.has(port)) continue;
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) {
      refusingPorts.add(port);
      return `http://127.0.0.1:${port}`;
    }
  }
  throw new Error('no port from 700 to 988 refuses connections on 127.0.0.1');
}
