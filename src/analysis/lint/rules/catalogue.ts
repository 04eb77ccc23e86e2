/**
 * The rules (docs/rules/ in this repository describes each). Group B `error` (the legitimate caller
 * is locked out or the role cannot be deployed) maps to `medium`, `warn` to `low`; group C `warn` to `low`,
 * `info` to `info`. Group D is the trust-policy surface beyond OIDC (who else the role lets in) and
 * input that cannot be linted. Group A severities are decided per finding (see checks.ts), the default here is the
 * catalogue's headline one.
 */
import type { Severity } from "../findings.js";

export interface RuleInfo {
  readonly id: string;
  readonly title: string;
  readonly group: "A" | "B" | "C" | "D";
  readonly severity: Severity;
}

export const RULES: readonly RuleInfo[] = [
  { id: "OIDC-001", title: "No condition on the identity (tenancy) claim", group: "A", severity: "critical" },
  { id: "OIDC-002", title: "OIDC principal without any Condition block", group: "A", severity: "critical" },
  {
    id: "OIDC-003",
    title: "Subject pattern that matches every subject of the issuer",
    group: "A",
    severity: "critical",
  },
  {
    id: "OIDC-004",
    title: "Wildcard inside the tenant (owner / organisation / group) segment",
    group: "A",
    severity: "critical",
  },
  { id: "OIDC-005", title: "Tenant-wide or project-wide subject", group: "A", severity: "high" },
  { id: "OIDC-006", title: "Untrusted execution contexts admitted", group: "A", severity: "high" },
  { id: "OIDC-007", title: "Prefix-collision wildcard glued to a name", group: "A", severity: "medium" },
  {
    id: "OIDC-008",
    title: "Wildcard that collapses a security-relevant dimension",
    group: "A",
    severity: "high",
  },
  { id: "OIDC-009", title: "Customised subject not anchored to the tenant", group: "A", severity: "high" },
  { id: "OIDC-010", title: "One loose value in a multi-value list", group: "A", severity: "high" },
  { id: "OIDC-011", title: "Weak sibling statement", group: "A", severity: "high" },
  {
    id: "OIDC-012",
    title: "Tenancy or scope expressed with negated, IfExists, ForAllValues or Null operators",
    group: "A",
    severity: "high",
  },
  { id: "OIDC-013", title: "Identity pinned only by recyclable names", group: "A", severity: "medium" },
  { id: "OIDC-014", title: "Hyphen-id look-alike subject", group: "A", severity: "high" },
  {
    id: "OIDC-015",
    title: "Trust decided by a claim or session tag the workload controls",
    group: "A",
    severity: "critical",
  },
  { id: "OIDC-016", title: "No audience condition", group: "A", severity: "low" },
  { id: "OIDC-017", title: "Non-unique identity segment", group: "A", severity: "medium" },
  {
    id: "OIDC-018",
    title: "Issuer not recognised (platform inferred or unknown)",
    group: "A",
    severity: "medium",
  },
  {
    id: "OIDC-030",
    title: "Cognito identity pool role that does not test amr (guests admitted)",
    group: "A",
    severity: "high",
  },
  { id: "OIDC-101", title: "Wildcard inside an exact-match operator", group: "B", severity: "medium" },
  { id: "OIDC-102", title: "Audience mismatch", group: "B", severity: "medium" },
  { id: "OIDC-103", title: "Subject format mismatch", group: "B", severity: "medium" },
  {
    id: "OIDC-104",
    title: "Condition-key prefix does not match the provider",
    group: "B",
    // Every finding is high: the condition either locks everyone out or fails open (rules/provider-keys.ts).
    severity: "high",
  },
  { id: "OIDC-105", title: "Principal / provider or action mismatch", group: "B", severity: "medium" },
  { id: "OIDC-106", title: "Missing sts:TagSession", group: "B", severity: "medium" },
  { id: "OIDC-107", title: "Session duration", group: "B", severity: "medium" },
  { id: "OIDC-108", title: "Condition on a claim the token may not carry", group: "B", severity: "low" },
  {
    id: "OIDC-109",
    title: "Refused at write time by IAM's identity-provider controls",
    group: "B",
    severity: "medium",
  },
  { id: "OIDC-110", title: "Provider TLS thumbprint", group: "B", severity: "low" },
  { id: "OIDC-201", title: "Set operator on single-valued OIDC keys", group: "C", severity: "low" },
  { id: "OIDC-202", title: "StringLike without a wildcard", group: "C", severity: "info" },
  { id: "OIDC-203", title: "Duplicate condition keys", group: "C", severity: "low" },
  { id: "OIDC-300", title: "File or policy that cannot be linted", group: "D", severity: "high" },
  {
    id: "OIDC-301",
    title: "Wildcard or anonymous principal not scoped to an organization or account",
    group: "D",
    severity: "critical",
  },
  { id: "OIDC-302", title: "Another account trusted without sts:ExternalId", group: "D", severity: "low" },
  {
    id: "OIDC-303",
    title: "Service principal without aws:SourceAccount or aws:SourceArn",
    group: "D",
    severity: "medium",
  },
  { id: "OIDC-304", title: "NotAction, sts:* or * in a trust policy", group: "D", severity: "medium" },
];
