export { Balancer, type ListeningAddress } from './balancer.ts';
export { type BalancerApiTarget, balancerApi, type WindowList } from './balancer-api.ts';
export { balancerApiSpec } from './balancer-api-spec.ts';
export { balancerErrors } from './balancer-errors.ts';
