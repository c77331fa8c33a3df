export {
  CSRF_HEADER,
  createDashboardHandler,
  type DashboardApi,
  type DashboardHandler,
  type DashboardHandlerOptions,
  SESSION_COOKIE,
} from './dashboard-server.ts';
export type { DashboardClock, DashboardRole } from './session-store.ts';
