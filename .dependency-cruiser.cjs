// Import rules that eslint cannot check (run by `npm run lint` and scripts/test.sh; proved by
// deploy/test/import-rules.test.ts):
// - no import circles in any package's src/, type-only imports included (eslint-plugin-import-x's
//   no-cycle skips `import type`, and the circles the router had were all type-only);
// - the alert router reads as one direction of flow: each layer below imports only from the
//   layers under it. A stage owns its config section (`<stage>/config.ts`), which belongs to the
//   config layer (the router's schema composes them) and imports only from that layer.
const R = '^alert-router/src/';
/** The router's layers, top first. */
const ROUTER_LAYERS = [
  { name: 'entry', path: `${R}(main|index|pipeline)\\.ts$|${R}admin/` },
  { name: 'api-and-console', path: `${R}(api|console|screen|evidence|retention)/` },
  { name: 'ingest', path: `${R}(consumer|clearance)/` },
  { name: 'routing', path: `${R}routing/` },
  { name: 'delivery-and-work-orders', path: `${R}(delivery|workorders)/` },
  { name: 'channels', path: `${R}channels/` },
  { name: 'config-and-seams', path: `${R}(config/|[^/]+/config\\.ts$|seams\\.ts$|errors\\.ts$)` },
];
const FLOOR = ROUTER_LAYERS[ROUTER_LAYERS.length - 1].path;

const layerRules = ROUTER_LAYERS.slice(1).map((layer, i) => ({
  name: `router-layer-${layer.name}`,
  comment: `alert-router: ${layer.name} must not import from the layers above it (${ROUTER_LAYERS.slice(0, i + 1).map((l) => l.name).join(', ')}); move the shared type down instead`,
  severity: 'error',
  from: { path: layer.path, ...(layer.path === FLOOR ? {} : { pathNot: FLOOR }) },
  to: { path: ROUTER_LAYERS.slice(0, i + 1).map((l) => l.path), pathNot: FLOOR },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle (type-only imports count): move the shared types into the lower module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'router-halves-meet-at-the-seams',
      comment: 'alert-router: delivery and work orders sit beside each other and meet only through seams.ts',
      severity: 'error',
      from: { path: `${R}delivery/` },
      to: { path: `${R}workorders/`, pathNot: FLOOR },
    },
    {
      name: 'router-halves-meet-at-the-seams-too',
      comment: 'alert-router: delivery and work orders sit beside each other and meet only through seams.ts',
      severity: 'error',
      from: { path: `${R}workorders/`, pathNot: FLOOR },
      to: { path: `${R}delivery/` },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    includeOnly: '^(schemas|platform|edge-gateway|stream-processor|alert-router)/src/',
  },
};
