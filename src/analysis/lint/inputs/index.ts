import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { findTooDeep, MAX_JSON_DEPTH } from "../../../lib/json.js";
import { isCloudFormationDocument, parseCloudFormationYaml, readCloudFormation } from "./cloudformation.js";
import { isIamRoleDocument, readIamRoles } from "./iam-role.js";
import { locate, type PathPart } from "./positions.js";
import { isTerraformShowDocument, readTerraformShow } from "./terraform-plan.js";
import { isRecord, LintInputError, type TrustPolicySource } from "./types.js";

export { LintInputError, type TrustPolicySource } from "./types.js";

const JSON_EXTENSIONS = new Set([".json"]);
const YAML_EXTENSIONS = new Set([".yaml", ".yml", ".template"]);
/** Directories never worth descending into. */
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", ".terraform", "dist"]);

/**
 * Every trust policy in the given paths. A file named explicitly must hold at least one recognisable
 * document (a policy, get-role/list-roles output, a Terraform show document or a CloudFormation template),
 * else it is bad input. Inside a directory, files that are none of these (package.json, tfvars…) are
 * skipped, so `keyless lint .` works on a repository.
 */
export function readTrustPolicies(paths: readonly string[]): TrustPolicySource[] {
  if (paths.length === 0) throw new LintInputError("no input: give one or more files or directories");
  const found: TrustPolicySource[] = [];
  for (const path of paths) {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new LintInputError(`${path}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      for (const file of walk(path)) {
        try {
          found.push(...readFile(file, { strict: false }).map((s) => ({ ...s, fromDirectory: true })));
        } catch (error) {
          // One file's trouble is that file's finding (OIDC-300); the other files are still linted.
          if (!(error instanceof LintInputError)) throw error;
          found.push({ file, location: "file", policy: "", unreadable: shorten(file, error.message) });
        }
      }
    } else {
      found.push(...readFile(path, { strict: true }));
    }
  }
  return found;
}

function* walk(directory: string): Generator<string> {
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith(".")) yield* walk(path);
    } else if (entry.isFile()) {
      const ext = extname(entry.name).toLowerCase();
      if (JSON_EXTENSIONS.has(ext) || YAML_EXTENSIONS.has(ext)) yield path;
    }
  }
}

/** One file: its documents, by content rather than by name (a plan is just `plan.json`). */
export function readFile(file: string, options: { strict: boolean }): TrustPolicySource[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new LintInputError(
      `${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return readText(file, text, options);
}

/** Words only a trust policy, get-role output, Terraform plan or CloudFormation template contains: a broken
 * file with one of them was meant to be linted (tsconfig.json with comments was not). */
const POLICY_MARKERS =
  /"?(Statement|AssumeRolePolicyDocument|AWSTemplateFormatVersion|assume_role_policy|AWS::IAM::Role)"?/;

/** Inside a directory, a file that does not parse is skipped unless it looks like a policy: then it is
 * reported (OIDC-300) and the other files are still linted. */
function brokenPolicyFile(file: string, text: string, why: string): TrustPolicySource[] {
  if (!POLICY_MARKERS.test(text)) return [];
  return [{ file, location: "file", policy: "", unreadable: shorten(file, why) }];
}

const shorten = (file: string, why: string): string =>
  why.replace(`${file}: `, "").replace(/\s+/g, " ").slice(0, 300);

export function readText(file: string, text: string, options: { strict: boolean }): TrustPolicySource[] {
  const isYaml = YAML_EXTENSIONS.has(extname(file).toLowerCase());
  let doc: unknown;
  if (isYaml) {
    try {
      doc = parseCloudFormationYaml(file, text);
    } catch (error) {
      if (!options.strict) return brokenPolicyFile(file, text, (error as Error).message);
      throw error;
    }
  } else {
    try {
      // JSON.parse names an invisible character by quoting it; IAM refuses a policy that starts with one.
      if (text.startsWith("\uFEFF"))
        throw new SyntaxError(
          "it starts with U+FEFF, a byte-order mark (save it as UTF-8 without BOM: IAM refuses the character)",
        );
      doc = JSON.parse(text);
      const deep = findTooDeep(doc);
      if (deep !== undefined)
        throw new SyntaxError(`nesting deeper than ${MAX_JSON_DEPTH} levels at ${deep}`);
    } catch (error) {
      if (!options.strict) return brokenPolicyFile(file, text, `not valid JSON: ${(error as Error).message}`);
      throw new LintInputError(`${file}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const placed = (sources: TrustPolicySource[]) =>
    sources.map((s) => {
      const origin = { text, yaml: isYaml, pointer: s.pointer ?? [] };
      return { ...s, locate: (path: readonly PathPart[]) => locate(origin, path) };
    });
  if (isRecord(doc)) {
    // JSON text is kept as text so the engine sees duplicate members (OIDC-203); YAML is already an object.
    // A top-level Version marks a policy too, so one whose Statement hides under "__proto__" reaches the engine.
    if (Object.hasOwn(doc, "Statement") || Object.hasOwn(doc, "Version"))
      return placed([{ file, location: "policy", policy: isYaml ? doc : text }]);
    if (isIamRoleDocument(doc)) return placed(readIamRoles(file, doc));
    if (isTerraformShowDocument(doc)) return placed(readTerraformShow(file, doc));
    if (isCloudFormationDocument(doc)) return placed(readCloudFormation(file, doc));
  }
  if (!options.strict) return [];
  throw new LintInputError(
    `${file}: not a trust policy, \`aws iam get-role\` output, \`terraform show -json\` output or CloudFormation template`,
  );
}
