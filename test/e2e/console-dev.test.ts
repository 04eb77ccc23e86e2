// biome-ignore-all lint/performance/useDomNodeTextContent: playwright Locator.innerText() calls, not the DOM property
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { CHROMIUM_MISSING, launchChromium, shot, testOutputDir } from "../support/browser.js";
import { KEYLESS_BIN } from "../support/cli.js";
import { isolatedEnv } from "../support/emulator.js";
import { freePort } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

// `keyless dev` prints the console's address and a sign-in link carrying a one-time code, never the
// admin key: the link signs a browser in once. Also the console's first-load figures: bytes on the wire
// and the time from navigation to the first interactive element, written to test-output/console/.

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

describe("keyless dev's console sign-in link", { skip: CHROMIUM_MISSING }, () => {
  const dir = tempDir("keyless-console-dev-");
  let child: ChildProcess;
  let out = "";
  let link: string;
  let adminKey: string;
  let issuerUrl: string;
  let browser: Browser;

  before(async () => {
    const [issuerPort, awsPort] = [await freePort(), await freePort()];
    child = spawn(
      process.execPath,
      [
        KEYLESS_BIN,
        "dev",
        "--data-dir",
        join(dir.path, "data"),
        "--issuer-port",
        String(issuerPort),
        "--aws-port",
        String(awsPort),
      ],
      { env: isolatedEnv(join(dir.path, "user")), cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      out += d;
    });
    link = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`keyless dev printed no sign-in link:\n${out}`)),
        90_000,
      );
      const poll = setInterval(() => {
        const m = /Sign in with this one-time link[^:]*: (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(m[1]!);
        }
      }, 50);
      child.once("exit", (code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`keyless dev exited ${code}:\n${out}`));
      });
    });
    const info = JSON.parse(readFileSync(join(dir.path, "data", "dev.json"), "utf8"));
    adminKey = info.adminKey;
    issuerUrl = info.issuerUrl;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      await new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGINT");
      });
    }
    dir.cleanup();
  });

  test("the link carries a one-time code in its fragment, never the admin key", () => {
    assert.match(link, new RegExp(`^${issuerUrl.replace(/\./g, "\\.")}/console/#code=[\\w-]{40,}$`));
    assert.ok(!link.includes(adminKey));
    assert.ok(out.includes(`The web console: ${issuerUrl}/console/`));
  });

  test("the link signs a browser in, once; the code leaves the address bar; the playground loads the emulator's roles", async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await context.newPage();
      await page.goto(link);
      await page.getByRole("button", { name: "Sign out" }).waitFor();
      assert.doesNotMatch(page.url(), /code=/);
      // The demo organization's run is listed.
      await page.locator("tr[data-run]").first().waitFor();
      assert.match(await page.locator("tr[data-run]").first().innerText(), /staging/);
      await page.screenshot({ path: shot("00-dev-signed-in"), fullPage: true });

      // The playground with the emulator's role and the demo run's claims: the staging role admits
      // the staging run, the production role refuses it.
      await page.goto(`${issuerUrl}/console/#/playground`);
      const roles = page.getByLabel("Role from the AWS emulator");
      await roles.locator("option", { hasText: "demo-staging-apply" }).waitFor({ state: "attached" });
      await roles.selectOption({ label: "arn:aws:iam::111111111111:role/demo-staging-apply" });
      const runs = page.getByLabel("Claims of a run's token");
      await runs.locator("option").nth(1).waitFor({ state: "attached" });
      await runs.selectOption({ index: 1 });
      await page.locator("p.decision").waitFor();
      await page.screenshot({ path: shot("14-playground-emulator-role"), fullPage: true });
      assert.equal(await page.locator("p.decision").innerText(), "ALLOW");
      await roles.selectOption({ label: "arn:aws:iam::111111111111:role/demo-production-apply" });
      await page.locator("p.decision", { hasText: "DENY" }).waitFor();
    } finally {
      await context.close();
    }
    const again = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const page = await again.newPage();
      await page.goto(link);
      await page.getByLabel("API key").waitFor();
      assert.match(await page.getByRole("alert").innerText(), /unknown, used or expired/);
    } finally {
      await again.close();
    }
  });

  test("first load: bytes on the wire and time to interactive (figures written to metrics.json)", async () => {
    const samples: number[] = [];
    let transferred = 0;
    for (let i = 0; i < 5; i++) {
      // A new context each time: an empty cache, as on a first visit.
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const page = await context.newPage();
        let bytes = 0;
        page.on("response", async (r) => {
          const length = Number((await r.allHeaders())["content-length"] ?? 0);
          bytes += length;
        });
        await page.goto(`${issuerUrl}/console/`);
        await page.getByLabel("API key").waitFor({ state: "visible" });
        // Milliseconds from the start of navigation to the moment the first input can take a key.
        samples.push(Number(await page.evaluate("performance.now()")));
        await page.waitForLoadState("load");
        if (i === 0) transferred = bytes;
      } finally {
        await context.close();
      }
    }
    samples.sort((a, b) => a - b);
    const assets = join(REPO, "dist", "console", "assets");
    const files = readdirSync(assets).map((f) => ({ file: f, bytes: statSync(join(assets, f)).size }));
    const metrics = {
      timeToInteractiveMs: {
        median: Math.round(samples[2]!),
        min: Math.round(samples[0]!),
        max: Math.round(samples[4]!),
      },
      firstLoadBytesOnWire: transferred,
      assets: files,
    };
    writeFileSync(join(testOutputDir(), "metrics.json"), `${JSON.stringify(metrics, null, 2)}\n`);
    process.stdout.write(`# console first load: ${JSON.stringify(metrics)}\n`);
    assert.ok(transferred > 0 && transferred < 100_000, `first load moved ${transferred} bytes`);
  });
});
