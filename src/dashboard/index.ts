export { createDashboardHandler, type DashboardHandler } from './dashboard-server.ts';
export { isLoopbackAddress, isLoopbackHost, ListenerHosts } from './listener-hosts.ts';
export { isCrossSite } from './request-origin.ts';
export { dashboardErrors } from './dashboard-errors.ts';
