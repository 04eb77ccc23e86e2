// `npm run bench:mutation [-- FILE_OR_GLOB…]`: mutation testing (StrykerJS, https://stryker-mutator.io/docs/stryker-js/)
// of the policy engine, federation and the STS web-identity token path, then the score per file.
//
// Stryker copies the project into .tmp/stryker/sandbox-*, writes every mutant into the TypeScript at
// once (mutant switching: https://stryker-mutator.io/docs/mutation-testing-elements/mutant-switching/),
// builds the sandbox with tsc (the tests import dist/, so the code they run is the mutated code), then
// runs each test file with the tap runner, only the files that cover a mutant ("perTest" coverage).
// Arguments narrow the files mutated (the configured set otherwise). Results are kept incrementally in
// .tmp/mutation/incremental.json, so a second run only tests mutants whose code or tests changed; pass
// --force to test them all again. The JSON and HTML reports are in .tmp/mutation/.
// --unit-only drops the e2e test files from tap.testFiles, --tests A,B replaces the list (globs of built
// tests), and --tag NAME keeps that run's incremental results and reports apart (.tmp/mutation/NAME/), so
// file groups can each run against the tests that exercise them (in a sandbox of their own, so at the same time). Both go through a config copy in
// .tmp/mutation/ (--timeout-ms N sets Stryker's timeoutMS there too); with fewer test files the score is a lower bound (fewer tests can only kill fewer mutants).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const optionValue = (flag) => {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  if (value === undefined) {
    console.error(`keyless: ${flag} needs a value`);
    process.exit(2);
  }
  return value;
};
const tests = optionValue("--tests");
const tag = optionValue("--tag");
const timeoutMs = optionValue("--timeout-ms");
const force = args.includes("--force");
const unitOnly = args.includes("--unit-only");
const files = args.filter((a) => a !== "--force" && a !== "--unit-only");
const out = tag === undefined ? ".tmp/mutation" : `.tmp/mutation/${tag.replace(/[^\w.-]/g, "_")}`;
let config = "stryker.config.json";
if (unitOnly || tests !== undefined || tag !== undefined || timeoutMs !== undefined) {
  const base = JSON.parse(readFileSync(new URL("../stryker.config.json", import.meta.url), "utf8"));
  delete base.$schema;
  if (tests !== undefined) base.tap.testFiles = tests.split(",");
  if (unitOnly) base.tap.testFiles = base.tap.testFiles.filter((f) => !f.startsWith("dist/test/e2e/"));
  if (timeoutMs !== undefined) base.timeoutMS = Number(timeoutMs);
  if (tag !== undefined) base.tempDirName = `.tmp/stryker-${tag.replace(/[^\w.-]/g, "_")}`;
  base.incrementalFile = `${out}/incremental.json`;
  base.jsonReporter.fileName = `${out}/mutation.json`;
  base.htmlReporter.fileName = `${out}/mutation.html`;
  mkdirSync(new URL(`../${out}/`, import.meta.url), { recursive: true });
  config = `${out}/stryker.config.json`;
  writeFileSync(new URL(`../${config}`, import.meta.url), JSON.stringify(base, null, 2));
}
const stryker = [
  "stryker",
  "run",
  config,
  ...(files.length > 0 ? ["--mutate", files.join(",")] : []),
  ...(force ? ["--force"] : []),
];
const started = Date.now();
const run = spawnSync("npx", stryker, { cwd: root, stdio: "inherit" });
if (run.status !== 0) {
  console.error(`keyless: stryker exited with status ${run.status ?? run.signal}`);
  process.exit(3);
}

// Score as Stryker defines it: killed + timeout over all valid mutants (survived and no-coverage count
// against it; compile errors and ignored mutants are not valid): https://stryker-mutator.io/docs/General/faq/
const report = JSON.parse(readFileSync(new URL(`../${out}/mutation.json`, import.meta.url), "utf8"));
const rows = [];
const total = { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
for (const [file, { mutants }] of Object.entries(report.files)) {
  const c = { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
  for (const m of mutants) {
    if (m.status === "Killed") c.killed++;
    else if (m.status === "Survived") c.survived++;
    else if (m.status === "NoCoverage") c.noCoverage++;
    else if (m.status === "Timeout") c.timeout++;
  }
  for (const k of Object.keys(total)) total[k] += c[k];
  rows.push([relative(root, file) || file, c]);
}
const score = (c) => {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? "n/a" : `${((100 * (c.killed + c.timeout)) / valid).toFixed(1)} %`;
};
const line = (name, c) =>
  `${name.padEnd(40)} ${score(c).padStart(8)}  killed ${c.killed + c.timeout}, survived ${c.survived}, no coverage ${c.noCoverage}`;
console.log("\nmutation score (killed + timed out / valid mutants)");
for (const [name, c] of rows.sort((a, b) => a[0].localeCompare(b[0]))) console.log(line(name, c));
console.log(line("all files", total));
console.log(`(${((Date.now() - started) / 60000).toFixed(1)} min; report: ${out}/mutation.html)`);
