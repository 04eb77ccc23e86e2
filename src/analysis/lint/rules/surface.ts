import { accountOfArn, parseRootArn } from "../../../core/aws/arn.js";
import { isAccountId } from "../../../core/aws/identifiers.js";
import { actionMatches } from "../../../core/policy/index.js";
import type { Condition, Policy, Statement } from "../../../core/policy/types.js";
import { isNegated, isPositive } from "../admission.js";
import type { Severity } from "../findings.js";
import { OWN_ACCOUNT_PLACEHOLDER } from "../inputs/types.js";
import { label, quote, type Raw } from "./hygiene.js";

/**
 * The trust-policy surface beyond OIDC (OIDC-301…305): who besides a pipeline the role lets in. The
 * rules follow what IAM Access Analyzer's policy checks and the public scanners flag for role trust
 * (docs/lint-coverage.md compares them rule by rule). Severity follows who gets in: anyone on the
 * internet or any AWS account is critical.
 */

/** Keys that pin the caller to an organization, account or identity: a wildcard principal scoped by one
 * of them is not public (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). */
const IDENTITY_SCOPE = new Set([
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:userid",
  "aws:sourceaccount",
  "aws:sourcearn",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
]);
/** Keys a service sets on the role it assumes on someone's behalf (confused deputy):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html */
const DEPUTY_SCOPE = new Set(["aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"]);
/** Services that assume the role only for compute running in the role's own account (an instance, a
 * function): no third party can make them act, and they do not send aws:SourceAccount. */
const OWN_COMPUTE = new Set(["ec2.amazonaws.com", "lambda.amazonaws.com", "edgelambda.amazonaws.com"]);

/** The assume-role actions a principal type can actually call (OIDC-105 for the non-OIDC types). */
const ASSUME_ACTIONS = ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"];

/** A positive, non-IfExists condition on one of `keys`: the key must be present and match. */
function scopedBy(statement: Statement, keys: ReadonlySet<string>): Condition | undefined {
  return statement.conditions.find(
    (c) =>
      keys.has(c.key.toLowerCase()) &&
      (isPositive(c) || c.operator.base === "ArnEquals" || c.operator.base === "ArnLike") &&
      !c.operator.ifExists &&
      c.operator.set !== "ForAllValues" &&
      c.values.some((v) => v !== "*"),
  );
}

/** The account the role lives in, when the input says it (a role ARN) or the policy shows it (an IAM
 * OIDC or SAML provider is always in the role's own account). */
export function ownAccount(policy: Policy, location: string): string | undefined {
  const fromLocation = location.startsWith("arn:") ? accountOfArn(location) : undefined;
  if (fromLocation) return fromLocation;
  for (const s of policy.statements) {
    if (s.principal?.block.kind !== "map") continue;
    for (const id of s.principal.block.entries.get("Federated") ?? []) {
      const account = id.startsWith("arn:") ? accountOfArn(id) : undefined;
      if (account && isAccountId(account)) return account;
    }
  }
  return undefined;
}

/** Checks of one Allow statement's principal and action that need no platform knowledge. */
export function surfaceChecks(statement: Statement, own: string | undefined): Raw[] {
  const out: Raw[] = [];
  const where = label(statement);
  const principal = statement.principal;
  if (!principal) return out;
  const block = principal.block;
  const map = block.kind === "map" ? block.entries : undefined;
  const aws = map?.get("AWS") ?? [];
  const services = map?.get("Service") ?? [];
  const federated = map?.get("Federated") ?? [];

  // ---- OIDC-301: anyone --------------------------------------------------------------------------------
  const anyone = block.kind === "any" ? 'Principal "*"' : aws.includes("*") ? '"AWS": "*"' : undefined;
  const reachable = ASSUME_ACTIONS.some((a) => actionMatches(statement, a));
  if (anyone && reachable) {
    const identity = scopedBy(statement, IDENTITY_SCOPE);
    if (!identity) {
      const externalId = scopedBy(statement, new Set(["sts:externalid"]));
      // Conditions that must hold (not negated, not IfExists) narrow who gets in without naming them.
      const other = statement.conditions.some((c) => !isNegated(c) && !c.operator.ifExists);
      const severity: Severity = externalId ? "medium" : other ? "high" : "critical";
      const who = externalId
        ? `any AWS account that learns the external id ${quote(externalId.values[0] ?? "")} (AWS does not treat an external id as a secret)`
        : other
          ? `any AWS account or identity that meets its other conditions (${statement.conditions.map((c) => c.key).join(", ")}), none of which names who the caller is`
          : block.kind === "any"
            ? "every caller: any AWS account, and any web-identity or SAML token of a provider in the account"
            : "every AWS account in the world";
      out.push({
        rule: "OIDC-301",
        severity,
        message: `${where} trusts ${anyone} and admits ${who}. Name the principals (account, role ARN or provider), or add StringEquals aws:PrincipalOrgID (or aws:PrincipalAccount) with your organization or account.`,
      });
    }
  }

  // ---- OIDC-302: another account without an external id ------------------------------------------------
  // Only whole-account delegation (an account id or its root ARN): a named role of another account is
  // the ordinary chaining hop, and its account cannot choose which customer it acts for.
  const foreign = aws
    .filter((id) => id !== "*")
    .map((id) => ({ id, account: isAccountId(id) ? id : parseRootArn(id)?.account }))
    // A CloudFormation `${AWS::AccountId}` is the stack's own account.
    .filter((p) => p.account !== undefined && p.account !== own && p.account !== OWN_ACCOUNT_PLACEHOLDER);
  if (
    foreign.length > 0 &&
    actionMatches(statement, "sts:AssumeRole") &&
    !scopedBy(statement, new Set(["sts:externalid", "aws:principalorgid", "aws:principalorgpaths"]))
  ) {
    const names = foreign.map((p) => quote(p.id)).join(", ");
    out.push({
      rule: "OIDC-302",
      severity: "low",
      message: `${where} lets ${names}${own ? ` (not this role's account ${own})` : ""} assume the role with no sts:ExternalId condition: if that account is a third party acting for several customers, another customer can make it act on this role (confused deputy). Within your own organization this is normal; otherwise add StringEquals sts:ExternalId with the id the third party gave you, or aws:PrincipalOrgID.`,
    });
  }

  // ---- OIDC-303: a service acting for anyone -------------------------------------------------------------
  const deputies = services.filter((s) => !OWN_COMPUTE.has(s.toLowerCase()));
  if (
    deputies.length > 0 &&
    actionMatches(statement, "sts:AssumeRole") &&
    !scopedBy(statement, DEPUTY_SCOPE)
  ) {
    out.push({
      rule: "OIDC-303",
      severity: "medium",
      message: `${where} lets service ${deputies.map(quote).join(", ")} assume the role with no aws:SourceAccount or aws:SourceArn condition: the service acts for every AWS customer, and another customer can point it at this role (cross-service confused deputy). Add StringEquals aws:SourceAccount${own ? ` ${quote(own)}` : " with your account"} or ArnLike aws:SourceArn with the resource that uses the role.`,
    });
  }

  // ---- OIDC-304: NotAction, sts:* and * ------------------------------------------------------------------
  const action = statement.action;
  if (action?.negated) {
    out.push({
      rule: "OIDC-304",
      severity: anyone ? "critical" : "high",
      message: `${where} uses NotAction with Allow: it allows every STS action except ${action.patterns.map(quote).join(", ")}, including ones added later. List the one assume-role action the principal needs in Action.`,
    });
  } else if (action?.patterns.some((p) => p === "*" || p.toLowerCase() === "sts:*")) {
    const wild = action.patterns.find((p) => p === "*" || p.toLowerCase() === "sts:*")!;
    out.push({
      rule: "OIDC-304",
      severity: "medium",
      message: `${where} allows Action ${quote(wild)}: every assume-role call (AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity) plus sts:TagSession, sts:SetSourceIdentity and sts:SetContext for ${describe(statement)}. Name the action the principal needs (and sts:TagSession only if it passes session tags).`,
    });
  }

  // ---- OIDC-105 for SAML and for AWS/service principals given only the web-identity call --------------------
  const saml = federated.filter((id) => id.includes(":saml-provider/"));
  if (saml.length > 0 && !actionMatches(statement, "sts:AssumeRoleWithSAML")) {
    out.push({
      rule: "OIDC-105",
      severity: "medium",
      message: `${where} names SAML provider ${saml.map(quote).join(", ")} but does not allow sts:AssumeRoleWithSAML, the only call a SAML assertion can make. Set Action to "sts:AssumeRoleWithSAML".`,
    });
  }
  if (
    (aws.length > 0 || services.length > 0) &&
    federated.length === 0 &&
    !actionMatches(statement, "sts:AssumeRole") &&
    !actionMatches(statement, "sts:AssumeRoleWithWebIdentity")
  ) {
    out.push({
      rule: "OIDC-105",
      severity: "medium",
      message: `${where} names ${[...aws, ...services].map(quote).join(", ")} but does not allow sts:AssumeRole, the only call an AWS identity or service can make: the role cannot be assumed by them. Set Action to "sts:AssumeRole".`,
    });
  }
  return out;
}

function describe(statement: Statement): string {
  const block = statement.principal?.block;
  if (!block || block.kind === "any") return "every caller";
  return [...block.entries.values()].flat().map(quote).join(", ");
}
