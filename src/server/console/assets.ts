import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** One file of the built console, held in memory with its gzip form. */
export interface ConsoleAsset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  /** Strong validator: the build names assets by content hash, so the name is enough. */
  readonly etag: string;
}

export interface ConsoleAssets {
  readonly index: ConsoleAsset;
  /** `assets/<name>` → the file. */
  readonly files: ReadonlyMap<string, ConsoleAsset>;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

function asset(path: string, name: string): ConsoleAsset {
  const body = readFileSync(path);
  const ext = name.slice(name.lastIndexOf("."));
  return {
    type: TYPES[ext] ?? "application/octet-stream",
    body,
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${name}-${body.length}"`,
  };
}

/**
 * Where `npm run build` puts the console (dist/console: index.html and assets/): next to the bundle
 * (dist/bundle → dist/console) or to tsc's output (dist/src/server/console → dist/console).
 */
export function findConsoleDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, "..", "console"), join(here, "..", "..", "..", "console")]) {
    if (existsSync(join(candidate, "index.html"))) return candidate;
  }
  return undefined;
}

/** Reads and compresses the built console once, at start-up; undefined when it was not built. */
export function loadConsoleAssets(dir: string | undefined = findConsoleDir()): ConsoleAssets | undefined {
  if (!dir || !existsSync(join(dir, "index.html"))) return undefined;
  const files = new Map<string, ConsoleAsset>();
  const assetsDir = join(dir, "assets");
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) files.set(name, asset(join(assetsDir, name), name));
  }
  return { index: asset(join(dir, "index.html"), "index.html"), files };
}
