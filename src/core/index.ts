export { type Clock, flushMicrotasks, ManualClock, SystemClock, type TimerHandle } from './clock.ts';
export { sendError, sendJson } from './json-response.ts';
export { matchPath } from './path-pattern.ts';
export { createLogger, type Logger, silentLogger } from './logger.ts';
export {
  defineErrors,
  type ErrorSource,
  httpStatusOf,
  isPiperError,
  PiperError,
  type PiperErrorCode,
} from './piper-error.ts';
export { type Random, SeededRandom, SystemRandom } from './random.ts';
export { formatDuration, formatSize, parseDuration, parsePercent, parseRate, parseSize } from './units.ts';
export { decodeUserIds, encodeUserIds } from './user-ids.ts';
export { coreErrors } from './core-errors.ts';
