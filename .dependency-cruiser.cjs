// The import boundaries of DESIGN.md ("Boundaries"), checked by `npm run lint:boundaries`.
// Each part may import only the parts listed for it, and only through their index.ts.
const allowed = {
  core: [],
  config: ['core'],
  telemetry: ['core'],
  platform: ['core', 'config', 'telemetry'],
  balancer: ['core', 'config', 'telemetry'],
  loadgen: ['core', 'telemetry'],
  journal: ['core', 'config'],
  rollout: ['core', 'config', 'telemetry', 'journal'],
  dashboard: [],
};

const partRules = Object.entries(allowed).map(([part, deps]) => ({
  name: `boundary-${part}`,
  comment: `src/${part} may import only: ${deps.length ? deps.join(', ') : 'nothing of ours'} (DESIGN.md, Boundaries)`,
  severity: 'error',
  from: { path: `^src/${part}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/(${[part, ...deps].join('|')})/`, ...(part === 'rollout' ? ['^src/balancer/index\\.ts$'] : [])],
  },
}));

module.exports = {
  forbidden: [
    ...partRules,
    {
      name: 'rollout-balancer-type-only',
      comment: 'rollout may import from the balancer only the DataPlane type (import type)',
      severity: 'error',
      from: { path: '^src/rollout/' },
      to: { path: '^src/balancer/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'through-index-only',
      comment: "another part's internals are private: import its src/<part>/index.ts",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
