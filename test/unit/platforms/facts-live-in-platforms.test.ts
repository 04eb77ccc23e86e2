import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";
import { PLATFORMS, type Platform } from "../../../src/platforms/index.js";
import { OTHER_SHARED_ISSUERS } from "../../../src/platforms/others.js";

/**
 * No file under src/ but src/platforms/ may hold a platform fact: an issuer host, a platform-specific
 * claim name, a session-tag name, a role variable or a token-source variable. The facts are read from the
 * registry itself, so a new platform extends this test. Generic OIDC/AWS names (sub, aud, iss, …) are not
 * platform facts, and neither are claim names that are plain words (`organization`, `ref`): only
 * compound names (with `_`, `-` or an inner capital) are distinctive enough to search for.
 */
const SRC = fileURLToPath(new URL("../../../../src/", import.meta.url));
const PLATFORMS_DIR = join(SRC, "platforms");

/** Compound claim names that are also the project's own column or field names, not platform facts. */
const NOT_PLATFORM_FACTS = new Set([
  // keyless's own claim names are also its tables' column names (SQL in store/ and issuer/).
  "organization_id",
  "project_id",
  "environment_id",
  "run_id",
  // The issuer API's own field for a run.
  "runId",
]);

/** Variables AWS's SDKs and CLI read themselves (the runner sets them for its children): AWS's, not a
 * platform's (https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html). */
const AWS_VARIABLES = /^AWS_/;

const distinctive = (name: string): boolean =>
  /[_-]|[a-z0-9][A-Z]/.test(name) && !NOT_PLATFORM_FACTS.has(name);

function hostsOf(p: Platform): string[] {
  const hosts = [
    ...p.issuer.hosts,
    ...p.issuer.iamScopedKeys.map((i) => i.host),
    ...(p.issuer.deadHosts ?? []).flatMap((d) => [d.host, d.replacement]),
  ];
  if (p.issuer.url) hosts.push(new URL(p.issuer.url).host);
  return hosts;
}

function namesOf(p: Platform): { names: string[]; variables: string[] } {
  const source = p.tokenSource;
  const runner = p.runner;
  const variables = [
    ...(source?.request ? [source.request.urlVariable, source.request.tokenVariable] : []),
    ...(source?.variables ?? []),
    ...(source?.fileVariable ? [source.fileVariable.variable] : []),
    ...(source?.command?.when.map((m) => m.variable) ?? []),
    ...(source?.namedVariable ? [source.namedVariable.when.variable] : []),
    ...(runner?.roleVariables ?? []),
    ...(runner?.phasedRoles
      ? [
          runner.phasedRoles.enabledBy.variable,
          runner.phasedRoles.phaseVariable,
          runner.phasedRoles.fallback,
          ...Object.values(runner.phasedRoles.byPhase),
        ]
      : []),
    ...(runner?.runIdVariable ? [runner.runIdVariable.variable] : []),
  ].filter((v) => !AWS_VARIABLES.test(v));
  const names = [
    ...p.sessionTags.keys,
    ...p.claims,
    ...p.providerKeys.keys.map((k) => k.key),
    ...(p.lint.controlled?.tags ?? []),
    ...(p.lint.tenantTag ? [p.lint.tenantTag] : []),
    ...(p.lint.immutableIds?.claims ?? []),
    ...(p.lint.immutableIds?.tags ?? []),
    ...(runner?.phaseClaims ?? []),
    ...(runner?.runIdClaims ?? []),
  ].filter(distinctive);
  return { names, variables };
}

interface Fact {
  readonly platform: string;
  readonly kind: "host" | "name" | "variable";
  readonly text: string;
}

function allFacts(): Fact[] {
  const facts: Fact[] = [];
  const add = (platform: string, kind: Fact["kind"], texts: readonly string[]) => {
    for (const text of new Set(texts)) facts.push({ platform, kind, text });
  };
  for (const p of PLATFORMS) {
    add(p.id, "host", hostsOf(p));
    const { names, variables } = namesOf(p);
    add(p.id, "name", names);
    add(p.id, "variable", variables);
  }
  add(
    "others",
    "host",
    OTHER_SHARED_ISSUERS.map((i) => i.host),
  );
  return facts;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (path !== PLATFORMS_DIR) out.push(...sourceFiles(path));
    } else if (entry.endsWith(".ts")) out.push(path);
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The string literals and template texts of JavaScript code (esbuild's output: comments and types
 * gone), by a small scanner that knows strings, templates with nested expressions and regex literals.
 */
export function literalsOf(code: string): string[] {
  const out: string[] = [];
  const templates: number[] = []; // the brace depth at which each open template expression closes
  let depth = 0;
  let i = 0;
  const readTemplate = (from: number): number => {
    let j = from;
    let text = "";
    while (j < code.length) {
      const c = code[j]!;
      if (c === "\\") {
        text += code.slice(j, j + 2);
        j += 2;
      } else if (c === "`") {
        out.push(text);
        return j + 1;
      } else if (c === "$" && code[j + 1] === "{") {
        out.push(text);
        templates.push(depth);
        return j + 2;
      } else {
        text += c;
        j++;
      }
    }
    out.push(text);
    return j;
  };
  while (i < code.length) {
    const c = code[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = "";
      while (j < code.length && code[j] !== c) {
        if (code[j] === "\\") {
          text += code.slice(j, j + 2);
          j += 2;
        } else text += code[j++];
      }
      out.push(text);
      i = j + 1;
    } else if (c === "`") {
      i = readTemplate(i + 1);
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth) {
      templates.pop();
      i = readTemplate(i + 1);
    } else if (c === "/" && /[(,=:[!&|?{};]\s*$|^\s*$|return\s*$/.test(code.slice(Math.max(0, i - 8), i))) {
      // A regex literal: its text counts as a literal (a host in a pattern is a fact too).
      let j = i + 1;
      let inClass = false;
      while (j < code.length && (code[j] !== "/" || inClass) && code[j] !== "\n") {
        if (code[j] === "\\") j++;
        else if (code[j] === "[") inClass = true;
        else if (code[j] === "]") inClass = false;
        j++;
      }
      out.push(code.slice(i + 1, j).replaceAll("\\.", "."));
      i = j + 1;
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      i++;
    }
  }
  return out;
}

/** Every fact a TypeScript file holds outside its comments: in literals, or as an identifier (variables). */
export function findFacts(fileName: string, text: string, facts: readonly Fact[]): string[] {
  const code = transformSync(text, { loader: "ts", format: "esm" }).code;
  const literals = literalsOf(code);
  const found: string[] = [];
  for (const fact of facts) {
    const re =
      fact.kind === "host"
        ? new RegExp(escapeRegExp(fact.text), "i")
        : new RegExp(`(?<![\\w-])${escapeRegExp(fact.text)}(?![\\w-])`);
    const inLiteral = literals.some((l) => re.test(l));
    const inCode = fact.kind === "variable" && re.test(code);
    if (inLiteral || inCode)
      found.push(`${relative(SRC, fileName)}: ${fact.platform} ${fact.kind} ${fact.text}`);
  }
  return found;
}

describe("platform facts live in src/platforms/ only", () => {
  const facts = allFacts();

  test("the registry yields facts of every kind for the platforms that have them", () => {
    const texts = new Set(facts.map((f) => f.text));
    for (const expected of [
      "token.actions.githubusercontent.com",
      "login.app.env0.com",
      "app.terraform.io",
      "gitlab.com",
      "agent.buildkite.com",
      "deployerEmail",
      "env0Tag",
      "TFC_AWS_RUN_ROLE_ARN",
      "ENV0_AWS_ROLE_ARN",
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "terraform_run_phase",
      "repository_owner_id",
    ])
      assert.ok(texts.has(expected), `${expected} should be a platform fact`);
    // Generic OIDC claim names are never platform facts.
    for (const generic of ["sub", "aud", "iss", "exp", "jti"]) assert.ok(!texts.has(generic), generic);
  });

  test("the scanner finds a fact in a literal, a template and an identifier, and not in a comment", () => {
    const sample = [
      "// token.actions.githubusercontent.com in a comment is fine",
      'const a = "https://token.actions.githubusercontent.com";',
      "const b = `${x}:env0Tag`;",
      "const c = env.TFC_AWS_RUN_ROLE_ARN;",
      'const d = "organization";',
    ].join("\n");
    const found = findFacts(join(SRC, "sample.ts"), sample, facts);
    assert.deepEqual(
      found.map((f) => f.split(": ")[1]),
      [
        "github host token.actions.githubusercontent.com",
        "env0 name env0Tag",
        "tfc variable TFC_AWS_RUN_ROLE_ARN",
      ],
    );
  });

  test("no file outside src/platforms/ holds one", () => {
    const found = sourceFiles(SRC).flatMap((path) => findFacts(path, readFileSync(path, "utf8"), facts));
    assert.deepEqual(found, []);
  });
});
