// Clients that leave in the middle: during the upload, after the upload but before the answer,
// and in the middle of a large answer. Each leaves work behind in the balancer and the backend
// (an upstream call to cancel, a codec stream to end, a file read to close) that must be freed.
import type { AdversaryClient } from './slow-clients.ts';
import { withExchange } from './slow-clients.ts';

const UPLOAD_BYTES = 64 * 1024;

/** Announces a 64 KiB upload, sends 8 KiB, and leaves within 20 ms. */
export const abortMidUpload: AdversaryClient = (target, random, signal) =>
  withExchange(target, signal, async (ex, wait) => {
    ex.write(
      `POST /api/v1/compress?codec=gzip HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: text/plain\r\ncontent-length: ${UPLOAD_BYTES}\r\n\r\n`,
    );
    ex.write(Buffer.alloc(8 * 1024, 'pied piper '));
    if (await wait(random.int(20))) ex.leave();
  });

/** Sends a whole 64 KiB upload to a slow codec level and leaves before the answer (within 5 ms). */
export const abortBeforeAnswer: AdversaryClient = (target, random, signal) =>
  withExchange(target, signal, async (ex, wait) => {
    ex.write(
      `POST /api/v1/compress?codec=brotli&level=9 HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: text/plain\r\n` +
        `content-length: ${UPLOAD_BYTES}\r\nconnection: close\r\n\r\n`,
    );
    ex.write(Buffer.alloc(UPLOAD_BYTES, 'pied piper '));
    if ((await wait(random.int(5))) && ex.status === null) ex.leave();
  });

/** Starts the download of a large stored file and leaves after 64–576 KiB of it. */
export function abortMidDownload(largeFileId: string): AdversaryClient {
  return (target, random, signal) =>
    withExchange(target, signal, async (ex) => {
      const leaveAfter = (64 + random.int(512)) * 1024;
      ex.onBody((bytes) => {
        if (bytes >= leaveAfter) ex.leave();
      });
      ex.write(`GET /api/v1/files/${largeFileId} HTTP/1.1\r\nhost: ${target.host}\r\naccept-encoding: identity\r\n\r\n`);
    });
}
