import { connect } from 'node:net';

/**
 * Opens `total` connections to `url`, `concurrency` at a time; each sends a POST head announcing
 * `bodyBytes` and part of the body, then vanishes (destroy) once the balancer has had a moment to
 * start forwarding. The part sent is more than the balancer reads ahead of admission (64 KiB), so
 * requests do reach a backend before their clients leave. Resolves when every client is gone.
 */
export async function abortingClients(url: string, total: number, concurrency: number, bodyBytes = 100_000): Promise<void> {
  const { hostname, port } = new URL(url);
  let started = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyBytes}\r\n\r\n`);
        socket.write(Buffer.alloc(70_000, 120));
        // Half leave at once, half after the request had time to reach a backend.
        setTimeout(() => socket.destroy(), started % 2 === 0 ? 0 : 5);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
