/** Who wrote an event. `journal` is the journal itself (drop counts, its own alerts and incidents). */
export type EventSource = 'balancer' | 'haproxy' | 'rollout' | 'loadgen' | 'alert' | 'operator' | 'platform' | 'journal';

/** Every valid {@link EventSource}, for validating input from the API and the CLI. */
export const EVENT_SOURCES: readonly EventSource[] = [
  'balancer',
  'haproxy',
  'rollout',
  'loadgen',
  'alert',
  'operator',
  'platform',
  'journal',
];
