// http-proxy ships no types; the benchmark peer uses only this much of it.
declare module 'http-proxy' {
  import type { Agent, IncomingMessage, ServerResponse } from 'node:http';
  import type { Socket } from 'node:net';

  interface ProxyServer {
    web(req: IncomingMessage, res: ServerResponse, options: { target: string }): void;
    on(event: 'error', fn: (err: Error, req: IncomingMessage, res: ServerResponse | Socket) => void): void;
  }
  const httpProxy: { createProxyServer(options: { agent?: Agent; xfwd?: boolean }): ProxyServer };
  export default httpProxy;
}
