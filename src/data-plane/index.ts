export type {
  BackendHealth,
  BackendState,
  DataPlane,
  DataPlaneSnapshot,
  FleetMemberState,
  InProgressCounts,
  InProgressWindow,
  PoolState,
  RouteState,
  SetSplitOptions,
  Split,
  SplitOrigin,
} from './data-plane.ts';
export type { DataPlaneEvent, DataPlaneEventData, DataPlaneEventKind } from './data-plane-event.ts';
export { type EventPage, EventRing } from './event-ring.ts';
export { eventRingApi } from './event-ring-api.ts';
export { HttpDataPlane } from './http-data-plane.ts';
export { type RefusedCommand, staleTermError, TermFence } from './term-fence.ts';
export { InMemoryDataPlane } from './in-memory-data-plane.ts';
export { FleetDataPlane } from './fleet-data-plane.ts';
export { type ConnectedDataPlanes, connectDataPlanes, type DataPlaneMemberSpec } from './connect-data-planes.ts';
export { ConformanceBackends } from './conformance-backends.ts';
export { sendRequests } from './conformance-traffic.ts';
export type { ConformanceTopology, DataPlaneFactory, TrafficTally } from './conformance-factory.ts';
export { dataPlaneConformance } from './data-plane-conformance.ts';
export { dataPlaneErrors } from './data-plane-errors.ts';
