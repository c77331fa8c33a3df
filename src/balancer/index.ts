export { Balancer, type BalancerOptions, type ListeningAddress } from './balancer.ts';
export { type BalancerApiOptions, type BalancerApiTarget, createBalancerApi, type WindowList } from './balancer-api.ts';
export { BalancerEventKind, type DataPlaneEventListener } from './balancer-events.ts';
export type { HealthProbe } from './health-checker.ts';
