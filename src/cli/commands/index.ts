import type { CommandEntry } from '../command.ts';

/**
 * Every registered subcommand, in the order `piper --help` lists them. Each module is imported
 * only when its command runs (see CommandEntry); test/cli-registry.test.ts keeps the names and
 * summaries here equal to the commands' own.
 */
export const commands: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: "Replay Pied Piper's afternoon of 31 March 2017 with piper in front (npm start)",
    load: async () => (await import('./demo.ts')).demoCommand,
  },
  {
    name: 'validate',
    summary: 'Check a piper.yaml and report every problem at once',
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  {
    name: 'config schema',
    summary: 'Print the JSON Schema of piper.yaml (for editor completion)',
    load: async () => (await import('./config-schema.ts')).configSchemaCommand,
  },
  {
    name: 'haproxy config',
    summary: "Print the haproxy.cfg for a piper.yaml's listeners, routes and pools",
    load: async () => (await import('./haproxy.ts')).haproxyConfigCommand,
  },
  { name: 'up', summary: 'Run the load balancer and its admin API', load: async () => (await import('./up.ts')).upCommand },
  {
    name: 'control',
    summary: 'Run a control plane alone, steering remote data planes (one of several, one leader)',
    load: async () => (await import('./control.ts')).controlCommand,
  },
  {
    name: 'serve',
    summary: 'Run the compression platform: streaming API, file store and website',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'compress',
    summary: 'Compress a file locally (no server), streaming',
    load: async () => (await import('./compress.ts')).compressCommand,
  },
  {
    name: 'decompress',
    summary: 'Decompress a gzip, brotli or zstd file locally (no server), streaming',
    load: async () => (await import('./decompress.ts')).decompressCommand,
  },
  {
    name: 'migrate start',
    summary: "Start moving a route's traffic to another pool, in gated and judged steps",
    load: async () => (await import('./migrate.ts')).migrateStartCommand,
  },
  {
    name: 'migrate status',
    summary: 'Show migrations, or one migration with its gate, judge and transitions',
    load: async () => (await import('./migrate.ts')).migrateStatusCommand,
  },
  {
    name: 'migrate pause',
    summary: 'Hold a migration at its current step (judging and rollbacks go on)',
    load: async () => (await import('./migrate.ts')).migratePauseCommand,
  },
  {
    name: 'migrate resume',
    summary: 'Continue a paused migration (the current step is judged afresh)',
    load: async () => (await import('./migrate.ts')).migrateResumeCommand,
  },
  {
    name: 'migrate promote',
    summary: 'Skip to the next step now, or with --all to 100% and completion',
    load: async () => (await import('./migrate.ts')).migratePromoteCommand,
  },
  { name: 'migrate abort', summary: 'Roll a migration back now', load: async () => (await import('./migrate.ts')).migrateAbortCommand },
  {
    name: 'migrate controller',
    summary: 'Run the migration controller and rollout API against a balancer over HTTP',
    load: async () => (await import('./migrate.ts')).migrateControllerCommand,
  },
  {
    name: 'loadtest',
    summary: 'Send an open-model HTTP load (constant, ramps, spikes, replay) and report latency without coordinated omission',
    load: async () => (await import('./loadtest.ts')).loadtestCommand,
  },
  {
    name: 'capacity',
    summary: "Find a target's maximum sustainable rate under an SLO, and certify headroom",
    load: async () => (await import('./capacity.ts')).capacityCommand,
  },
  {
    name: 'events',
    summary: 'List or follow the journal: every change, alert, decision and operator action',
    load: async () => (await import('./events.ts')).eventsCommand,
  },
  {
    name: 'incidents',
    summary: 'List incidents with failed requests, users affected and the times to detect, mitigate and resolve (also: incidents ack ID)',
    load: async () => (await import('./incidents.ts')).incidentsCommand,
  },
  {
    name: 'incidents list',
    summary: 'List incidents with failed requests, users affected and the times to detect, mitigate and resolve',
    load: async () => (await import('./incidents.ts')).incidentsListCommand,
  },
  {
    name: 'incidents ack',
    summary: 'Acknowledge an incident: records who has it, and when (MTTA)',
    load: async () => (await import('./incidents.ts')).incidentsAckCommand,
  },
  {
    name: 'postmortem',
    summary: "Write an incident's postmortem from the journal, in the seed's eleven sections",
    load: async () => (await import('./postmortem.ts')).postmortemCommand,
  },
];
