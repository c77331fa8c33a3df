export { Balancer, type ListeningAddress } from './balancer.ts';
export { type BalancerApiTarget, createBalancerApi, type WindowList } from './balancer-api.ts';
export { balancerErrors } from './balancer-errors.ts';
