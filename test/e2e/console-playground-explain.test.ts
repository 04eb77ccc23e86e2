import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM_MISSING, launchChromium } from "../support/browser.js";
import { runKeyless } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

// The playground decides in the browser exactly as `keyless explain --json` does, and finds what
// `keyless lint` finds, on every seed policy and lint fixture, each with a token its conditions admit
// and one they do not. The playground module is bundled as scripts/bundle.mjs bundles the page (browser
// platform, the node:net / node:crypto / Buffer shims) and run in Chromium.

// biome-ignore lint/suspicious/noExplicitAny: JSON documents compared whole.
type Json = any;
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURES = join(ROOT, "test", "fixtures", "lint");
const files = [
  ...readdirSync(join(FIXTURES, "seeds")).map((f) => join(FIXTURES, "seeds", f)),
  ...readdirSync(join(FIXTURES, "catalogue")).map((f) => join(FIXTURES, "catalogue", f)),
].filter((f) => f.endsWith(".json"));

/** Claims the policy's sub/aud conditions admit (wildcards filled in), and claims they do not. */
function claimsFor(text: string): { admitted: Json; refused: Json } {
  const host = /oidc-provider\/([^"\s]+)"/.exec(text)?.[1] ?? "id.example.com";
  const iss = `https://${host}`;
  const admitted: Json = { iss, sub: "repo:someone/else:ref:refs/heads/main", aud: "sts.amazonaws.com" };
  let policy: Json;
  try {
    policy = JSON.parse(text);
  } catch {
    policy = {};
  }
  const statements = [policy.Statement ?? []].flat();
  for (const s of statements) {
    for (const [operator, block] of Object.entries((s?.Condition ?? {}) as Record<string, Json>)) {
      if (!/^(StringEquals|StringLike)/.test(operator) || typeof block !== "object") continue;
      for (const [key, values] of Object.entries(block as Record<string, Json>)) {
        const first = [values].flat()[0];
        if (typeof first !== "string") continue;
        const value = first.replace(/\*/g, "x").replace(/\?/g, "y");
        if (key.endsWith(":sub")) admitted.sub = value;
        if (key.endsWith(":aud")) admitted.aud = value;
      }
    }
  }
  return { admitted, refused: { iss, sub: "nobody", aud: "nobody" } };
}

/** The report without what depends on the moment it was made. */
function timeless(report: Json): Json {
  const context = Object.fromEntries(
    Object.entries(report.context ?? {}).filter(([k]) => !/^aws:(currenttime|epochtime)$/i.test(k)),
  );
  return { ...report, context };
}

const findingsKey = (fs: Json[]) =>
  fs
    .map((f) => `${f.rule} ${f.severity} ${f.statement ?? "-"} ${f.message}`)
    .sort()
    .join("\n");

async function limit<T>(items: readonly T[], n: number, each: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
    }),
  );
}

describe("playground = keyless explain --json, in Chromium", { skip: CHROMIUM_MISSING }, () => {
  const dir = tempDir("keyless-playground-");
  let browser: Browser;
  let page: Page;
  before(async () => {
    const bundled = await build({
      entryPoints: [join(ROOT, "src", "console", "playground.ts")],
      bundle: true,
      write: false,
      format: "iife",
      globalName: "keylessPlayground",
      platform: "browser",
      target: ["chrome110"],
      alias: {
        "node:net": join(ROOT, "src", "console", "shims", "net.ts"),
        "node:crypto": join(ROOT, "src", "console", "shims", "crypto.ts"),
      },
      inject: [join(ROOT, "src", "console", "shims", "buffer.ts")],
      logLevel: "silent",
    });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setContent("<!doctype html><title>playground</title>");
    await page.addScriptTag({ content: bundled.outputFiles[0]!.text });
  });
  after(async () => {
    await browser?.close();
    dir.cleanup();
  });

  test(`${files.length} policies × an admitted and a refused token: same decision, trace and findings`, async () => {
    const cases = files.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      const { admitted, refused } = claimsFor(text);
      return [
        { file, text, claims: admitted, name: "admitted" },
        { file, text, claims: refused, name: "refused" },
      ];
    });
    const inBrowser: Json[] = await page.evaluate(
      `(${JSON.stringify(cases.map((c) => ({ policy: c.text, claims: c.claims })))}).map((c) => keylessPlayground.runPlayground({ ...c, now: Date.now() }))`,
    );
    let allowed = 0;
    let denied = 0;
    const lintByFile = new Map<string, string>();
    await limit([...new Set(files)], 3, async (file) => {
      const r = await runKeyless(["lint", "--format", "json", file]);
      assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `${file}: ${r.stderr}`);
      lintByFile.set(file, r.code === 2 ? "refused" : findingsKey(JSON.parse(r.stdout).findings));
    });
    await limit(
      cases.map((c, i) => ({ c, i })),
      3,
      async ({ c, i }) => {
        const claimsFile = join(dir.path, `claims-${i}.json`);
        writeFileSync(claimsFile, JSON.stringify(c.claims));
        const cli = await runKeyless(["explain", "--policy", c.file, "--claims", claimsFile, "--json"]);
        const mine = inBrowser[i];
        const what = `${c.file} (${c.name} token)`;
        if (cli.code === 2) {
          assert.ok(
            mine.error,
            `${what}: explain refused the input (${cli.stderr}) but the playground decided`,
          );
        } else {
          assert.ok(cli.code === 0 || cli.code === 1, `${what}: ${cli.stderr}`);
          assert.equal(mine.error, undefined, `${what}: ${mine.error}`);
          assert.deepEqual(timeless(mine.report), timeless(JSON.parse(cli.stdout)), what);
          if (mine.report.decision === "allow") allowed++;
          else denied++;
        }
        const lint = lintByFile.get(c.file);
        if (lint !== "refused") assert.equal(findingsKey(mine.findings), lint, `${c.file}: lint findings`);
      },
    );
    // Both outcomes were exercised, not only refusals.
    assert.ok(allowed >= 10 && denied >= 10, `allowed ${allowed}, denied ${denied}`);
  });
});
