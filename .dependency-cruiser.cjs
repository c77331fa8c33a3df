// The import boundaries of DESIGN.md ("Boundaries"), checked by `npm run lint:boundaries`.
// Each part may import only the parts listed for it, and only through their index.ts.
const allowed = {
  core: [],
  config: ['core'],
  telemetry: ['core'],
  platform: ['core', 'config', 'telemetry'],
  'data-plane': ['core', 'telemetry', 'control-api'],
  http1: [],
  // control-api: the one control-plane HTTP layer (fastify), kept out of core, which holds no HTTP.
  'control-api': ['core'],
  balancer: ['core', 'config', 'telemetry', 'data-plane', 'http1', 'control-api'],
  haproxy: ['core', 'config', 'telemetry', 'data-plane'],
  // DESIGN.md lists core and telemetry; the load generator reads responses with the one codec too.
  loadgen: ['core', 'telemetry', 'http1'],
  journal: ['core', 'config', 'control-api'],
  rollout: ['core', 'config', 'telemetry', 'journal', 'data-plane', 'control-api'],
  dashboard: [],
  // The page's JavaScript, apart from the dashboard's server: it names what the API answers with
  // the server's own types (docs/dashboard.md, "Types").
  'dashboard/web': ['dashboard', 'balancer', 'data-plane', 'journal', 'loadgen', 'rollout', 'telemetry'],
};

// Parts that may import another part for its types only (`import type`, or JSDoc `import()` in
// JavaScript): the port names telemetry's window types but runs none of its code (DESIGN.md,
// "data-plane/"); the page runs in the browser, where none of the server's code could load.
const typeOnly = {
  'data-plane': ['telemetry'],
  'dashboard/web': ['balancer', 'data-plane', 'journal', 'loadgen', 'rollout', 'telemetry'],
};

/** Folders listed as parts of their own inside `part` (`dashboard/web` in `dashboard`): their own rules apply. */
const nested = (part) => Object.keys(allowed).filter((p) => p.startsWith(`${part}/`));

const partRules = Object.entries(allowed).map(([part, deps]) => ({
  name: `boundary-${part}`,
  comment: `src/${part} may import only: ${deps.length ? deps.join(', ') : 'nothing of ours'} (DESIGN.md, Boundaries)`,
  severity: 'error',
  from: { path: `^src/${part}/`, pathNot: nested(part).map((p) => `^src/${p}/`) },
  to: {
    path: '^src/',
    pathNot: [`^src/(${[part, ...deps].join('|')})/`],
  },
}));

const typeOnlyRules = Object.entries(typeOnly).map(([part, deps]) => ({
  name: `boundary-${part}-type-only`,
  comment: `src/${part} may import only types from: ${deps.join(', ')} (DESIGN.md, Boundaries)`,
  severity: 'error',
  from: { path: `^src/${part}/` },
  to: { path: `^src/(${deps.join('|')})/`, dependencyTypesNot: ['type-only'] },
}));

module.exports = {
  forbidden: [
    ...partRules,
    ...typeOnlyRules,
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
    // The page's JavaScript imports the server's types in JSDoc: checked like any import.
    detectJSDocImports: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
