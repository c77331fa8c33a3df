export { type ApiHandler, matchPath, readJson } from './api-handler.ts';
export { type Clock, flushMicrotasks, ManualClock, SystemClock, type TimerHandle } from './clock.ts';
export {
  CHUNK_SIZE_TOO_LARGE,
  FRAMING_CHUNKED,
  FRAMING_LENGTH,
  FRAMING_NONE,
  FRAMING_UNTIL_CLOSE,
  isTokenChar,
  isValidHost,
  LINE_TOO_LONG,
  LineReader,
  MALFORMED_CHUNK_SIZE,
  MALFORMED_REQUEST_LINE,
  MALFORMED_REQUEST_TARGET,
  MALFORMED_STATUS_CODE,
  MALFORMED_STATUS_LINE,
  parseChunkSize,
  parseRequestLine,
  parseStatusLine,
  responseBodyFraming,
  trimCr,
  UNSUPPORTED_HTTP_VERSION,
} from './http1-wire.ts';
export { sendError, sendJson, statusOf } from './json-response.ts';
export { createLogger, type Logger, type LoggerFactoryOptions, REDACTED_PATHS, silentLogger } from './logger.ts';
export { type ErrorSource, isPiperError, PiperError, type PiperErrorOptions } from './piper-error.ts';
export { type Random, SeededRandom, SystemRandom } from './random.ts';
export { decodeUserIds, encodeUserIds } from './user-ids.ts';
export { formatDuration, formatSize, parseDuration, parsePercent, parseRate, parseSize } from './units.ts';
