/**
 * keyless's layer rules, checked by `npm test` (script `check:layers`). Layers, top to bottom; a module
 * may import its own layer's modules and those of layers below it, never above:
 *
 *   cli                                   command-line entry: parses flags, maps errors to exit statuses
 *   dev, server                           composition roots: wire components, stores and transports
 *   aws, issuer, runner, analysis         components: never import one another
 *   platforms                             what keyless knows about each CI platform (imports core, lib)
 *   store                                 database infrastructure, generic (knows no component's tables)
 *   core                                  pure: policy engine, federation, tokens, AWS identity helpers
 *   lib                                   shared infrastructure; imports nothing of ours
 *
 * Beside them, src/console is the web console's browser code (bundled for the page by
 * scripts/bundle.mjs, served by src/server/console): it may import the pure policy engine and what the
 * playground runs (explain's report, lint's rules), and Preact; nothing imports it.
 *
 * Parsed with swc so that `import type` edges count too (a type-only import is still a dependency of
 * the design). https://github.com/sverweij/dependency-cruiser/blob/main/doc/rules-reference.md
 */
const COMPONENTS = "aws|issuer|runner|analysis";

/**
 * Known violations being removed by other parts of issue #9, kept visible here so this check is green
 * meanwhile. Delete a line when its edge is gone; never add one to get a new upward import through.
 */
const TEMPORARY_EXCEPTIONS = [
];

const exceptionPaths = TEMPORARY_EXCEPTIONS.map((e) => e.from);
const exceptionRules = TEMPORARY_EXCEPTIONS.map((e, i) => ({
  name: `components-are-independent-except-${i}`,
  comment: "A temporary exception: this module may import one more component, and nothing else above it.",
  severity: "error",
  from: { path: e.from },
  to: { path: "^src/", pathNot: `^src/(${COMPONENTS.split("|").find((c) => e.from.startsWith(`^src/${c}/`))}|${e.alsoMay}|platforms|store|core|lib)/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Import cycles make layers meaningless and initialisation order fragile.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "lib-imports-nothing-of-ours",
      comment: "src/lib is shared infrastructure beneath everything.",
      severity: "error",
      from: { path: "^src/lib/" },
      to: { path: "^src/", pathNot: "^src/lib/" },
    },
    {
      name: "core-imports-only-lib",
      comment: "src/core is pure: the policy engine and AWS/OIDC helpers depend on lib and Node built-ins only.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/(core|lib)/" },
    },
    {
      name: "core-uses-no-packages",
      comment:
        "src/core is pure and self-contained: Node built-ins only, except jose's JWK/JWS types and key import in core/token.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"], pathNot: "node_modules/jose/" },
    },
    {
      name: "core-policy-does-no-io",
      comment: "The policy engine decides from its inputs alone: no file, network, process or clock modules.",
      severity: "error",
      from: { path: "^src/core/policy/" },
      to: {
        dependencyTypes: ["core"],
        path: "^(node:)?(fs|fs/promises|http|https|http2|tls|dgram|dns|child_process|cluster|worker_threads|readline|os|process|timers|timers/promises)$",
      },
    },
    {
      name: "core-policy-uses-net-only-to-parse-addresses",
      comment: "IpAddress conditions parse addresses with node:net's pure helpers (isIP, BlockList) there alone.",
      severity: "error",
      from: { path: "^src/core/policy/", pathNot: "^src/core/policy/operators\\.ts$" },
      to: { dependencyTypes: ["core"], path: "^(node:)?net$" },
    },
    {
      name: "store-is-generic",
      comment: "The store knows no component: each component owns its tables and passes its migrations.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: "^src/", pathNot: "^src/(store|core|lib)/" },
    },
    {
      name: "platforms-sit-above-core",
      comment: "Platform records may use core and lib only.",
      severity: "error",
      from: { path: "^src/platforms/" },
      to: { path: "^src/", pathNot: "^src/(platforms|core|lib)/" },
    },
    {
      name: "components-are-independent",
      comment: "aws, issuer, runner and analysis never import one another; a composition root wires them.",
      severity: "error",
      from: { path: `^src/(${COMPONENTS})/`, pathNot: exceptionPaths },
      to: { path: "^src/", pathNot: "^src/($1|platforms|store|core|lib)/" },
    },
    ...exceptionRules,
    {
      name: "server-does-not-import-dev-or-cli",
      comment: "server composes the long-running services; dev and cli sit above it.",
      severity: "error",
      from: { path: "^src/server/" },
      to: { path: "^src/(dev|cli)/" },
    },
    {
      name: "nothing-imports-cli",
      comment: "The CLI is the top: it alone maps errors to exit statuses.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "console-imports-only-the-pure-engine",
      comment:
        "The browser code may use the policy engine (core: policy, federation, AWS identifiers) and what the playground runs (explain's report, lint's entry and findings), nothing that does I/O or holds secrets.",
      severity: "error",
      from: { path: "^src/console/" },
      to: {
        path: "^src/",
        pathNot:
          "^src/(console/|core/(policy|federation|aws)/|analysis/explain/report\\.ts$|analysis/lint/(lint|findings)\\.ts$)",
      },
    },
    {
      name: "console-uses-only-preact",
      comment: "The page bundles Preact and nothing else from npm (every asset is served by keyless itself).",
      severity: "error",
      from: { path: "^src/console/" },
      to: {
        dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"],
        pathNot: "node_modules/preact/",
      },
    },
    {
      name: "nothing-imports-console",
      comment: "The console is browser code: the server serves its built files and never imports it.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/console/" },
      to: { path: "^src/console/" },
    },
    {
      name: "src-does-not-import-tests",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that resolves to nothing is a typo or a missing dependency.",
      severity: "error",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: "swc",
    // dependency-cruiser's swc parser reads TypeScript without JSX, so the console's .tsx views are not
    // cruised here: scripts/bundle.mjs checks the page's whole module graph (esbuild's metafile)
    // against the same list as console-imports-only-the-pure-engine, and fails the build otherwise.
    exclude: { path: "\\.tsx$" },
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    // Packages' "exports" maps too (dependency-cruiser reads only "main" by default): uuid has no "main".
    enhancedResolveOptions: {
      extensions: [".ts", ".js"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
