export type {
  BackendHealth,
  BackendState,
  DataPlane,
  DataPlaneEvent,
  DataPlaneSnapshot,
  InProgressCounts,
  InProgressWindow,
  PoolState,
  RouteState,
  SetSplitOptions,
  Split,
} from './data-plane.ts';
export { HttpDataPlane, type HttpDataPlaneOptions } from './http-data-plane.ts';
export { InMemoryDataPlane, type SplitCall } from './in-memory-data-plane.ts';
