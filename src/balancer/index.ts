export type {
  BackendHealth,
  BackendState,
  DataPlane,
  DataPlaneEvent,
  DataPlaneSnapshot,
  PoolState,
  RouteState,
  SetSplitOptions,
  Split,
} from './data-plane.ts';
