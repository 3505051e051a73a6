/**
 * The layers of Interlock, as allow-lists: a module may import only what its layer lists
 * (and packages). Lower layers never import higher ones, so folders cannot form cycles, and
 * no-circular catches cycles between files. Tests may import anything.
 * Run by `npm run lint` (depcruise) and test/architecture.test.ts.
 */
const layer = (from, ...to) => ({
  from: { path: from, pathNot: '\\.test\\.tsx?$' },
  to: { path: `^(${to.join('|')})` },
});
const g = (name) => `gateway/${name}`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file cycle: split the shared part out below both.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-bench',
      severity: 'error',
      comment:
        'Benchmarks sit on top: tests and the conformance mutation copies run without bench/, ' +
        'so shared helpers live in test/helpers/.',
      from: { pathNot: '^bench/' },
      to: { path: '^bench/' },
    },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    {
      name: 'sql-only-in-store',
      severity: 'error',
      comment: 'Queries live in gateway/store; everything else calls its functions.',
      from: {
        path: '^(gateway|console)/',
        pathNot: '(^gateway/store/|^gateway/server\\.ts$|^gateway/cli/|\\.test\\.tsx?$)',
      },
      to: { path: '^node_modules/(kysely|better-sqlite3|pg)/' },
    },
  ],
  allowedSeverity: 'error',
  allowed: [
    // Packages and Node's own modules, from anywhere.
    { from: {}, to: { dependencyTypes: ['core'] } },
    { from: {}, to: { path: '^node_modules/' } },
    // Tests, benchmarks, scripts and the entry points may import anything.
    { from: { path: '(\\.test\\.tsx?$|^test/|^bench/|^scripts/|^bin/|^console/e2e/)' }, to: {} },
    { from: { path: `^(${g('cli')}|${g('server.ts')})` }, to: {} },
    // The bottom: shapes, pure helpers and paths import nothing of ours above them.
    layer(`^${g('schema')}/`, g('schema/')),
    layer(`^${g('paths.ts')}`, g('paths.ts')),
    // Persistence and the pure decision: schema only.
    layer(`^${g('store')}/`, g('schema/'), g('store/')),
    layer(`^${g('decide')}/`, g('schema/'), g('decide/')),
    layer(`^${g('config')}/`, g('schema/'), g('config/')),
    layer('^drivers/', g('schema/'), 'drivers/'),
    layer(`^${g('signing')}/`, g('schema/'), g('config/'), g('signing/')),
    layer(`^${g('policy')}/`, g('schema/'), g('decide/'), g('paths.ts'), g('policy/')),
    layer(`^${g('invariants')}/`, g('schema/'), g('decide/'), g('policy/'), g('invariants/')),
    // Policy impact: replays recorded decisions (store) through a candidate (decide, policy).
    layer(
      `^${g('impact')}/`,
      g('schema/'),
      g('store/'),
      g('decide/'),
      g('policy/'),
      g('invariants/'),
      g('paths.ts'),
      g('impact/'),
    ),
    layer(`^${g('audit')}/`, g('schema/'), g('store/'), g('signing/'), g('audit/')),
    layer(`^${g('auth')}/`, g('schema/'), g('store/'), g('audit/'), g('config/'), g('auth/')),
    layer(`^${g('targets.ts')}`, g('schema/'), g('config/'), 'drivers/'),
    // The lifecycle: the one place that decides, records and moves actions.
    layer(
      `^${g('lifecycle')}/`,
      g('schema/'),
      g('store/'),
      g('audit/'),
      g('auth/'),
      g('decide/'),
      g('config/'),
      g('targets.ts'),
      g('lifecycle/'),
    ),
    // Built on the lifecycle.
    layer(
      `^${g('governance')}/`,
      g('schema/'),
      g('store/'),
      g('audit/'),
      g('auth/'),
      g('signing/'),
      g('invariants/'),
      g('lifecycle/'),
      g('governance/'),
    ),
    layer(
      `^${g('executor')}/`,
      g('schema/'),
      g('store/'),
      g('audit/'),
      g('auth/'),
      g('lifecycle/'),
      g('executor/'),
    ),
    // The handoff report: a fold over the audit log's records.
    layer(`^${g('report')}/`, g('schema/'), g('store/'), g('impact/window.ts'), g('report/')),
    // Notifications: the outbox (store) routed and delivered by a worker built on the lifecycle.
    layer(
      `^${g('notify')}/`,
      g('schema/'),
      g('store/'),
      g('config/'),
      g('decide/'),
      g('lifecycle/'),
      g('report/'),
      g('notify/'),
    ),
    layer(
      `^${g('metrics')}/`,
      g('schema/'),
      g('store/'),
      g('lifecycle/'),
      g('governance/'),
      g('metrics/'),
    ),
    layer(`^${g('specs')}/`, g('schema/'), g('lifecycle/'), g('paths.ts'), g('specs/')),
    layer(
      `^${g('evidence')}/`,
      g('schema/'),
      g('store/'),
      g('audit/'),
      g('signing/'),
      g('policy/'),
      g('invariants/'),
      g('paths.ts'),
      g('evidence/'),
    ),
    // The MCP front door: a front door like http, through the lifecycle only.
    layer(`^${g('mcp')}/`, g('schema/'), g('lifecycle/'), g('mcp/')),
    // The front doors: no SQL and no audit writes of their own; they go through the lifecycle.
    layer(
      `^${g('http')}/`,
      g('schema/'),
      g('auth/'),
      g('signing/'),
      g('policy/'),
      g('impact/'),
      g('lifecycle/'),
      g('governance/'),
      g('executor/'),
      g('metrics/'),
      g('mcp/'),
      g('http/'),
    ),
    layer(
      '^console/model/',
      g('schema/'),
      g('decide/'),
      g('lifecycle/'),
      g('governance/'),
      'console/model/',
    ),
    layer('^console/views/', g('schema/'), 'console/model/', 'console/views/'),
    layer(
      '^console/[^/]+$',
      g('schema/'),
      g('decide/'),
      g('report/'),
      g('auth/'),
      g('config/'),
      g('targets.ts'),
      g('lifecycle/'),
      g('governance/'),
      g('executor/'),
      g('http/'),
      'console/',
    ),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // Packages' subpath exports (hono/streaming, tsx/esm/api).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
    exclude: { path: '^scratch-ignored/' },
  },
};
