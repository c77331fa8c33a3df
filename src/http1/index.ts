/**
 * The one HTTP/1.1 codec: an incremental parser with a request role (the balancer's listener) and
 * a response role (the balancer's upstream connections and the load generator), and the framing
 * rules they share. It imports nothing of ours.
 */

export { isToken } from './header-token.ts';
export {
  type Http1Headers,
  Http1Parser,
  type Http1ParserHandler,
  type UpstreamHeaders,
} from './http1-parser.ts';
export { isValidHost } from './http1-wire.ts';
