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
export { createEventRingApi, type EventPage, EventRing, type EventRingOptions, type RingEvent } from './event-ring.ts';
export { HttpDataPlane, type HttpDataPlaneOptions } from './http-data-plane.ts';
export { type RefusedCommand, staleTermError, TermFence } from './term-fence.ts';
export { InMemoryDataPlane, type InMemoryDataPlaneOptions, type SplitCall } from './in-memory-data-plane.ts';
export { type FleetDataPlaneOptions, FleetDataPlane, type SplitAcks } from './fleet-data-plane.ts';
export { type FleetMember, FleetWindows, type FleetWindowsOptions, type WindowMerge } from './fleet-windows.ts';
export {
  type ConnectDataPlanesOptions,
  type ConnectedDataPlanes,
  connectDataPlanes,
  type DataPlaneMemberSpec,
} from './connect-data-planes.ts';
export { BACKEND_HEADER, ConformanceBackends } from './conformance-backends.ts';
export { sendRequests } from './conformance-traffic.ts';
export {
  CONFORMANCE_TOPOLOGY,
  type ConformanceTopology,
  type DataPlaneFactory,
  type DataPlaneUnderTest,
  type TrafficTally,
} from './conformance-factory.ts';
export { type DataPlaneConformanceCase, dataPlaneConformance } from './data-plane-conformance.ts';
