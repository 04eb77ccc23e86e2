import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/**
 * Debian's Chromium for the console's browser tests, driven by playwright-core (which downloads no
 * browser). `KEYLESS_CHROMIUM` names another binary. undefined when none is installed: the tests then
 * skip with `CHROMIUM_MISSING` as their reason (`.ci/run` installs it, so CI never skips).
 */
export const CHROMIUM: string | undefined = [
  process.env.KEYLESS_CHROMIUM,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
].find((p): p is string => p !== undefined && p !== "" && existsSync(p));

export const CHROMIUM_MISSING = CHROMIUM
  ? false
  : "SKIPPED: no Chromium found (/usr/bin/chromium): install it with `apt-get install -y chromium` or set KEYLESS_CHROMIUM";

/** The flags a machine without network needs: no sandbox (containers, root), no GPU, no background calls home. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(String(CHROMIUM_MISSING));
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** Where the browser tests put their screenshots and figures: test-output/console/ at the repository root. */
export function testOutputDir(): string {
  const dir =
    process.env.KEYLESS_TEST_OUTPUT ??
    fileURLToPath(new URL("../../../test-output/console/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const shot = (name: string): string => join(testOutputDir(), `${name}.png`);
