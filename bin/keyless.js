#!/usr/bin/env node
// The published entry point: the compiled CLI. `npm run build` (run by `npm start` and `npm test`) makes it.
import "../dist/src/cli/main.js";
