import type { DecisionEvent } from "./events.js";

/**
 * A decision-log event in words: the call, the caller, the decision and why; for a refusal, the policy
 * type that refused and every evaluated policy statement by statement (action, resource, each condition
 * with the values compared), and the request's condition keys. What `keyless explain --event ID` prints.
 */
export function explainEvent(e: DecisionEvent): string {
  const k = e.keyless;
  const who = String(e.userIdentity.arn ?? e.userIdentity.principalId ?? e.userIdentity.type);
  const lines = [
    `event ${e.eventID} at ${e.eventTime}: ${e.eventSource.split(".")[0]}:${e.eventName} by ${who}`,
  ];
  if (k.decision === "not-evaluated") {
    lines.push(
      e.errorCode
        ? `${e.errorCode}: ${e.errorMessage ?? ""}`
        : "allowed (no identity-policy decision: STS calls are decided by trust policies, GetCallerIdentity needs no permission)",
    );
    if (e.errorCode === "AccessDenied" && e.eventName === "AssumeRoleWithWebIdentity") {
      lines.push(
        "the role's trust policy refused the token: run `keyless explain --emulator URL --role-arn ROLE --token FILE` to see each condition",
      );
    }
    return `${lines.join("\n")}\n`;
  }
  lines.push(`action ${k.action} on ${k.resource}`);
  if (k.decision === "allow") {
    lines.push(k.reason === "root" ? "ALLOW: the account root has every permission" : "ALLOW:");
    for (const s of k.statements ?? []) {
      lines.push(
        `  ${s.policyType} ${s.policy}, statement ${s.index}${s.sid ? ` (${s.sid})` : ""} allows it`,
      );
    }
    return `${lines.join("\n")}\n`;
  }
  lines.push(`DENY: ${e.errorMessage ?? ""}`);
  if (k.reason === "explicit-deny") {
    const s = k.statements?.[0];
    if (s)
      lines.push(
        `  refused by ${s.policyType} ${s.policy}, statement ${s.index}${s.sid ? ` (${s.sid})` : ""}`,
      );
  } else {
    lines.push(`  no statement of the ${k.policyType} allows ${k.action} on ${k.resource}`);
  }
  for (const p of k.trace ?? []) {
    lines.push(`${p.policyType} ${p.policy}: ${p.result}`);
    for (const s of p.statements) {
      const parts = [
        `action ${s.action ? "matches" : "does not match"}`,
        `resource ${s.resource ? "matches" : "does not match"}`,
      ];
      lines.push(
        `  statement ${s.index}${s.sid ? ` (${s.sid})` : ""} ${s.effect}: ${s.applies ? "applies" : "does not apply"}; ${parts.join(", ")}`,
      );
      for (const c of s.conditions) {
        lines.push(`    condition ${c.operator} ${c.key}: ${c.reason} -> ${c.result ? "match" : "no match"}`);
      }
    }
  }
  const keys = Object.entries(k.context ?? {});
  if (keys.length > 0) {
    lines.push("request condition keys:");
    for (const [key, value] of keys) lines.push(`  ${key} = ${JSON.stringify(value)}`);
  }
  return `${lines.join("\n")}\n`;
}
