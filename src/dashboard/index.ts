export {
  CSRF_HEADER,
  createDashboardHandler,
  type DashboardApi,
  type DashboardHandler,
  type DashboardHandlerOptions,
  SESSION_COOKIE,
  type SessionAnswer,
} from './dashboard-server.ts';
export { isLoopbackAddress, isLoopbackHost, ListenerHosts } from './listener-hosts.ts';
export { isCrossSite, isSameOrigin } from './request-origin.ts';
export type { DashboardClock, DashboardRole } from './session-store.ts';
