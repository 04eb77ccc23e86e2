import type { PathPart } from "./positions.js";
import { isRecord, type TrustPolicySource } from "./types.js";

/**
 * `terraform show -json` output, of a plan or of state. Trust policies live in
 * `aws_iam_role.assume_role_policy` (a JSON string) and in `aws_iam_policy_document` data sources
 * (`json`, a string), wherever they sit: planned values, prior state, child modules, resource changes.
 * Values Terraform does not know until apply are absent (or `after_unknown`), so they are skipped: the
 * data source that produces them is read on its own when the plan has read it.
 */
export function isTerraformShowDocument(doc: Record<string, unknown>): boolean {
  return (
    typeof doc.format_version === "string" &&
    ("planned_values" in doc || "values" in doc || "prior_state" in doc || "resource_changes" in doc)
  );
}

interface TfResource {
  address: string;
  type: string;
  mode: string;
  values: Record<string, unknown>;
  /** Where its values object is in the document (for SARIF regions). */
  at: PathPart[];
}

export function readTerraformShow(file: string, doc: Record<string, unknown>): TrustPolicySource[] {
  const resources = new Map<string, TfResource>();
  const add = (r: TfResource) => {
    if (!resources.has(r.address)) resources.set(r.address, r);
  };
  const modules: [unknown, PathPart[]][] = [];
  if (isRecord(doc.planned_values))
    modules.push([doc.planned_values.root_module, ["planned_values", "root_module"]]);
  if (isRecord(doc.values)) modules.push([doc.values.root_module, ["values", "root_module"]]);
  if (isRecord(doc.prior_state) && isRecord(doc.prior_state.values))
    modules.push([doc.prior_state.values.root_module, ["prior_state", "values", "root_module"]]);
  for (const [module, at] of modules) walkModule(module, at, add);
  if (Array.isArray(doc.resource_changes)) {
    doc.resource_changes.forEach((change: unknown, i: number) => {
      if (!isRecord(change) || !isRecord(change.change) || !isRecord(change.change.after)) return;
      const r = toResource({ ...change, values: change.change.after }, [
        "resource_changes",
        i,
        "change",
        "after",
      ]);
      if (r) add(r);
    });
  }
  const found: TrustPolicySource[] = [];
  for (const r of resources.values()) {
    if (r.mode !== "data" && r.type === "aws_iam_role" && typeof r.values.assume_role_policy === "string") {
      if (r.values.assume_role_policy.trim() !== "") {
        const max = r.values.max_session_duration;
        found.push({
          file,
          location: r.address,
          policy: r.values.assume_role_policy,
          pointer: [...r.at, "assume_role_policy"],
          ...(typeof max === "number" ? { maxSessionDuration: max } : {}),
        });
      }
    }
    if (r.mode === "data" && r.type === "aws_iam_policy_document" && typeof r.values.json === "string") {
      if (looksLikeTrustPolicy(r.values.json))
        found.push({ file, location: r.address, policy: r.values.json, pointer: [...r.at, "json"] });
    }
  }
  return found;
}

function walkModule(module: unknown, at: PathPart[], add: (r: TfResource) => void): void {
  if (!isRecord(module)) return;
  if (Array.isArray(module.resources)) {
    module.resources.forEach((item: unknown, i: number) => {
      const r = isRecord(item) ? toResource(item, [...at, "resources", i, "values"]) : undefined;
      if (r) add(r);
    });
  }
  if (Array.isArray(module.child_modules))
    module.child_modules.forEach((child: unknown, i: number) => {
      walkModule(child, [...at, "child_modules", i], add);
    });
}

function toResource(item: Record<string, unknown>, at: PathPart[]): TfResource | undefined {
  const { address, type, mode, values } = item;
  if (typeof address !== "string" || typeof type !== "string" || !isRecord(values)) return undefined;
  return { address, type, mode: typeof mode === "string" ? mode : "managed", values, at };
}

/** A policy document is a trust policy when one of its statements names a Principal: permission policies
 * (the other use of aws_iam_policy_document) never do. Structural test on the parsed document. */
function looksLikeTrustPolicy(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed)) return false;
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
    return statements.some((s) => isRecord(s) && ("Principal" in s || "NotPrincipal" in s));
  } catch {
    return false;
  }
}
