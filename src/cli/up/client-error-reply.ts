import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** The error codes a listener answers with for requests node:http refuses before any handler runs. */
export interface ClientErrorCodes {
  /** Malformed request line or headers (400). */
  malformed: string;
  /** Request head over the size limit (431). */
  tooLarge: string;
  /** Head or request not received in time (408). */
  timeout: string;
}

/**
 * Answers what node:http refuses on its own (it would send a bare status line) in the house JSON
 * error format, with nothing from the request echoed back, then closes the connection: after a
 * parse error the stream cannot be trusted (RFC 9112 §11.2).
 */
export function replyToClientErrors(server: Server, codes: ClientErrorCodes): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Like node's own handler: nothing to say on a reset, or once a response has begun.
    const response = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
      socket.destroy();
      return;
    }
    const [status, reason, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', codes.tooLarge, 'the request head is too large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', codes.timeout, 'the request did not arrive in time']
          : [400, 'Bad Request', codes.malformed, 'the request is not valid HTTP/1.1'];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
