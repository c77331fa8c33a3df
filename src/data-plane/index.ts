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
