// Bundles the compiled CLI (dist/src/cli/main.js) into dist/bundle/ with esbuild, one chunk per lazily
// loaded command. Why: `keyless assume` runs once per job, and loading the AWS SDK's hundred-odd small
// modules one by one cost more than Node's own start-up (bench/assume-vs-aws-cli.ts measures it).
// Native and server-side packages stay external: they are loaded only by the commands that need them.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { build } from "esbuild";

// The web console (src/console, Preact) for the browser: one script and one stylesheet named by content
// hash, and the index.html that loads them, in dist/console/ (served by src/server/console). Built from
// the TypeScript sources; `tsc -p src/console` type-checks them. node:net and node:crypto, which the
// policy engine and the platform records import, and Buffer, are replaced by browser shims (src/console/shims).
async function buildConsole() {
  const result = await build({
    entryPoints: { app: "src/console/main.tsx" },
    outdir: "dist/console/assets",
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox110", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    alias: { "node:net": "./src/console/shims/net.ts", "node:crypto": "./src/console/shims/crypto.ts" },
    // BinaryEquals decodes base64 with Buffer, which browsers lack.
    inject: ["./src/console/shims/buffer.ts"],
    minify: true,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  // What the page may contain, the same list as .dependency-cruiser.cjs's console rules but checked on
  // the whole graph: its own code, the pure engine and what the playground runs (and what those import:
  // platform records, the error base), Preact, and the shims. Anything else fails the build.
  const allowed =
    /^(src\/console\/|src\/core\/(policy|federation|aws)\/|src\/analysis\/explain\/report\.ts$|src\/analysis\/lint\/(lint|findings|platform|admission|subjects|fixes)\.ts$|src\/analysis\/lint\/rules\/|src\/analysis\/lint\/inputs\/types\.ts$|src\/platforms\/|src\/lib\/(errors|json)\.ts$|node_modules\/preact\/)/;
  const stray = Object.keys(result.metafile.inputs).filter((i) => !allowed.test(i));
  if (stray.length > 0) throw new Error(`the console page must not bundle ${stray.join(", ")}`);
  const outputs = Object.keys(result.metafile.outputs).map((o) => basename(o));
  const js = outputs.find((o) => o.endsWith(".js"));
  const css = outputs.find((o) => o.endsWith(".css"));
  writeFileSync(
    "dist/console/index.html",
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keyless console</title>
${css ? `<link rel="stylesheet" href="/console/assets/${css}">\n` : ""}<script type="module" src="/console/assets/${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The keyless console needs JavaScript.</noscript>
</body>
</html>
`,
  );
}
await buildConsole();

// `npm run coverage` sets KEYLESS_BUNDLE=none: bin/keyless.js then runs tsc's output (dist/src) itself.
// Why: c8 remapping through the bundle's chained source maps (bundle -> dist/src -> .ts) lost the
// uncovered ranges (src/aws/iam/model.ts read as 100 % covered after a run that only linted), while
// tsc's own maps keep them; and unit tests load dist/src, so both share one copy of each module.
if (process.env.KEYLESS_BUNDLE === "none") {
  mkdirSync("dist/bundle", { recursive: true });
  writeFileSync("dist/bundle/main.js", 'import "../src/cli/main.js";\n');
  writeFileSync("dist/bundle/action.js", 'import "../src/cli/action/main.js";\n');
  process.exit(0);
}

const external = [
  "better-sqlite3",
  "pg",
  "fastify",
  "pino",
  "kysely",
  "yaml",
  "ajv",
  "ajv-draft-04",
  "@peculiar/x509",
  "reflect-metadata",
  "zod",
  "prom-client",
];

/** What both Node bundles (the CLI and the GitHub Action) are built with. */
const nodeEsm = {
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // The SDK's ES module builds let esbuild drop the commands keyless never sends.
  mainFields: ["module", "main"],
  // `npm run coverage` sets KEYLESS_BUNDLE_MINIFY=0: c8 maps a minified bundle's branches poorly.
  minify: process.env.KEYLESS_BUNDLE_MINIFY !== "0",
  logLevel: "warning",
  // Bundled CommonJS calls require(); ESM has none, so give it Node's.
  banner: {
    js: 'import { createRequire as __keylessRequire } from "node:module"; const require = __keylessRequire(import.meta.url);',
  },
};

await build({
  entryPoints: ["dist/src/cli/main.js"],
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  external,
  ...nodeEsm,
});

// The GitHub Action's entry (action.yml runs dist/bundle/action.js): one self-contained file with no
// external package, so a checkout of the repository with dist/bundle built runs it without node_modules.
// A package it would need and cannot inline fails this build rather than the action at run time.
await build({
  entryPoints: ["dist/src/cli/action/main.js"],
  outfile: "dist/bundle/action.js",
  bundle: true,
  ...nodeEsm,
});
