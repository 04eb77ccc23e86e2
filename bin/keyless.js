#!/usr/bin/env node
// The published entry point: the bundled CLI. `npm run build` (run by `npm start` and `npm test`) makes it
// (tsc, then scripts/bundle.mjs), so every test runs what ships.
import "../dist/bundle/main.js";
