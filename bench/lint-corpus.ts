/**
 * `keyless lint` over the labelled corpus (test/fixtures/lint/corpus/cases.json: trust policies from
 * public write-ups, bug reports and vendor documentation, each labelled by its source): recall on the bad
 * policies, false positives on the good ones, per group, and the time to lint the corpus and 2,000
 * CloudFormation templates with the built CLI (one process, as CI runs it). Prints a Markdown table for
 * docs/lint-coverage.md; asserts nothing (the agreement test is test/e2e/lint-corpus-agreement.test.ts).
 *
 *   npm run bench:lint
 *
 * "Flagged" means at least one finding above `info` (the severity of style notes).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTrustPolicies } from "../src/analysis/lint/inputs/index.js";
import { lintSource } from "../src/analysis/lint/lint.js";

interface Case {
  id: string;
  label: "bad" | "good";
  source: string;
  policy: object;
}
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { cases } = JSON.parse(readFileSync(join(ROOT, "test/fixtures/lint/corpus/cases.json"), "utf8")) as {
  cases: Case[];
};
const BIN = join(ROOT, "bin/keyless.js");

const group = (c: Case): string => {
  const first = c.id.split("-")[0]!;
  return ["gh", "gl", "tfc", "spacelift", "buildkite", "eks", "env0"].includes(first) ? first : "non-OIDC";
};

const work = mkdtempSync(join(tmpdir(), "keyless-bench-lint-"));
try {
  const corpusDir = join(work, "corpus");
  mkdirSync(corpusDir);
  for (const c of cases) writeFileSync(join(corpusDir, `${c.id}.json`), JSON.stringify(c.policy, null, 2));

  // ---- recall and false positives, in process ----------------------------------------------------------------
  const rows = new Map<string, { bad: number; found: number; good: number; fp: number }>();
  const missed: string[] = [];
  const falsePositives: string[] = [];
  for (const c of cases) {
    const [source] = readTrustPolicies([join(corpusDir, `${c.id}.json`)]);
    const flagged = lintSource(source!).some((f) => f.severity !== "info");
    const row = rows.get(group(c)) ?? { bad: 0, found: 0, good: 0, fp: 0 };
    if (c.label === "bad") {
      row.bad++;
      if (flagged) row.found++;
      else missed.push(c.id);
    } else {
      row.good++;
      if (flagged) {
        row.fp++;
        falsePositives.push(c.id);
      }
    }
    rows.set(group(c), row);
  }
  const total = [...rows.values()].reduce(
    (a, r) => ({ bad: a.bad + r.bad, found: a.found + r.found, good: a.good + r.good, fp: a.fp + r.fp }),
    { bad: 0, found: 0, good: 0, fp: 0 },
  );

  // ---- time: the built CLI over the corpus and over 2,000 CloudFormation templates ------------------------------
  const templates = join(work, "templates");
  mkdirSync(templates);
  for (let i = 0; i < 2000; i++) {
    const c = cases[i % cases.length]!;
    const template = {
      AWSTemplateFormatVersion: "2010-09-09",
      Resources: {
        Bucket: { Type: "AWS::S3::Bucket" },
        Role: { Type: "AWS::IAM::Role", Properties: { AssumeRolePolicyDocument: c.policy } },
      },
    };
    writeFileSync(join(templates, `t${String(i).padStart(4, "0")}.json`), JSON.stringify(template, null, 2));
  }
  const time = (dir: string): { seconds: number; findings: number } => {
    const runs: number[] = [];
    let findings = 0;
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [BIN, "lint", "--format", "json", "--fail-on", "critical", dir], {
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
      });
      runs.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (r.status !== 0 && r.status !== 1) throw new Error(`lint failed: ${r.stderr}`);
      findings = (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length;
    }
    return { seconds: runs.sort((a, b) => a - b)[1]!, findings };
  };
  const corpusTime = time(corpusDir);
  const templatesTime = time(templates);
  // The same work in this process, as CPU time: wall time on a shared machine mostly measures the queue.
  const cpu = (dir: string): number => {
    const start = process.cpuUsage();
    for (const source of readTrustPolicies([dir])) lintSource(source);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  };
  cpu(corpusDir); // warm-up (JIT)
  const templatesCpu = cpu(templates);
  const corpusCpu = cpu(corpusDir);

  const pct = (a: number, b: number) => (b === 0 ? "–" : `${Math.round((100 * a) / b)} %`);
  console.log("| group | bad policies | found | recall | good policies | false positives |");
  console.log("|---|---|---|---|---|---|");
  for (const [g, r] of rows)
    console.log(`| ${g} | ${r.bad} | ${r.found} | ${pct(r.found, r.bad)} | ${r.good} | ${r.fp} |`);
  console.log(
    `| **all** | ${total.bad} | ${total.found} | ${pct(total.found, total.bad)} | ${total.good} | ${total.fp} |`,
  );
  console.log("");
  console.log(
    `missed: ${missed.join(", ") || "none"}; false positives: ${falsePositives.join(", ") || "none"}`,
  );
  console.log(
    `wall time (built CLI, median of 3, one process each): corpus of ${cases.length} files ${corpusTime.seconds.toFixed(2)} s; 2,000 CloudFormation templates ${templatesTime.seconds.toFixed(2)} s (${templatesTime.findings} findings); load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`,
  );
  console.log(
    `CPU time in process (read + lint, after warm-up): corpus ${corpusCpu.toFixed(3)} s; 2,000 templates ${templatesCpu.toFixed(2)} s`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
