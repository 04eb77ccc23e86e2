import { useMemo, useState } from "preact/hooks";
import { ApiError, api, enc, type Run, type SessionInfo } from "../api.js";
import { decodeJwt, runPlayground } from "../playground.js";
import { ErrorNote, message, Section, useLoad } from "../ui.js";
import { useOrganizations } from "./common.js";

const fetchRoles = () =>
  api.raw<{ roles: { arn: string; trustPolicy: unknown }[] }>("GET", "/console/emulator/roles");

/** A role's trust policy as text to edit: IAM's document is JSON text, indented when it parses. */
function policyText(policy: unknown): string {
  if (typeof policy !== "string") return JSON.stringify(policy, null, 2);
  try {
    return JSON.stringify(JSON.parse(policy), null, 2);
  } catch {
    return policy;
  }
}

/** Claims from the text box: a JSON object, or a JWT (decoded, not verified). */
function readClaims(text: string): Record<string, unknown> | string {
  const t = text.trim();
  if (!t) return "paste the token's claims (JSON) or the token itself";
  if (!t.startsWith("{")) return decodeJwt(t)?.claims ?? "not a JWT and not a JSON object";
  try {
    const v = JSON.parse(t);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : "the claims must be a JSON object";
  } catch (e) {
    return `the claims are not JSON: ${(e as Error).message}`;
  }
}

/**
 * The trust-policy playground: a policy and a token's claims in, the decision, the trace and the lint
 * findings out, all computed in this page by the engine `keyless explain` and `keyless lint` use.
 */
export function PlaygroundPage({ session }: { session: SessionInfo }) {
  const [policy, setPolicy] = useState("");
  const [claimsText, setClaimsText] = useState("");
  const [error, setError] = useState<string | undefined>();
  const orgs = useOrganizations(session);
  const org = orgs.data?.[0]?.id;
  const runs = useLoad(
    async () =>
      org ? (await api.get<{ runs: Run[] }>(`v1/organizations/${enc(org)}/runs?limit=20`)).runs : [],
    [org],
  );
  // The roles of a connected AWS emulator (keyless dev's), for admins; none otherwise.
  const roles = useLoad(async () => {
    if (session.actor.scope !== "admin") return [];
    try {
      return (await fetchRoles()).roles;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return [];
      throw e;
    }
  }, [session.actor.keyId]);
  const claims = readClaims(claimsText);
  const result = useMemo(
    () =>
      policy.trim() && typeof claims === "object"
        ? runPlayground({ policy, claims, now: Date.now() })
        : undefined,
    [policy, claimsText],
  );
  const loadRun = async (runId: string) => {
    if (!org || !runId) return;
    try {
      const p = await api.post<{ claims: Record<string, unknown> }>(
        `v1/organizations/${enc(org)}/claims/preview`,
        { runId },
      );
      setClaimsText(JSON.stringify(p.claims, null, 2));
    } catch (e) {
      setError(message(e));
    }
  };
  const report = result?.report;
  return (
    <Section title="Trust-policy playground">
      <p class="hint">Decided in this page by keyless's policy engine: the policy is never sent anywhere.</p>
      <div class="pair">
        <div class="stack">
          {roles.data && roles.data.length > 0 ? (
            <>
              <label for="emulator-role">Role from the AWS emulator</label>
              <select
                id="emulator-role"
                onChange={(e) => {
                  const role = roles.data?.find((r) => r.arn === (e.target as HTMLSelectElement).value);
                  if (role) setPolicy(policyText(role.trustPolicy));
                }}
              >
                <option value="">choose a role…</option>
                {roles.data.map((r) => (
                  <option value={r.arn}>{r.arn}</option>
                ))}
              </select>
            </>
          ) : null}
          <label for="policy">Trust policy (JSON)</label>
          <textarea
            id="policy"
            rows={16}
            spellcheck={false}
            value={policy}
            onInput={(e) => setPolicy((e.target as HTMLTextAreaElement).value)}
          />
        </div>
        <div class="stack">
          <label for="run-token">Claims of a run's token</label>
          <select id="run-token" onChange={(e) => loadRun((e.target as HTMLSelectElement).value)}>
            <option value="">choose a run…</option>
            {(runs.data ?? []).map((r) => (
              <option value={r.id}>
                {r.id.slice(0, 8)} {r.phase} {r.deployer}
              </option>
            ))}
          </select>
          <label for="claims">Claims (JSON) or a token</label>
          <textarea
            id="claims"
            rows={12}
            spellcheck={false}
            value={claimsText}
            onInput={(e) => setClaimsText((e.target as HTMLTextAreaElement).value)}
          />
        </div>
      </div>
      <ErrorNote error={error ?? (typeof claims === "string" && claimsText.trim() ? claims : undefined)} />
      {result?.error ? (
        <p class="error" role="alert">
          {result.error}
        </p>
      ) : null}
      {report ? (
        <section aria-label="decision">
          <p class={`decision ${report.decision}`} data-decision={report.decision}>
            {report.decision.toUpperCase()}
          </p>
          {report.actions.map((a) => (
            <div class="action">
              <h3>
                {a.action}: {a.decision} ({a.reason})
              </h3>
              {a.statements.map((s) => (
                <div class="statement">
                  <p>
                    Statement[{s.index}]{s.sid ? ` (${s.sid})` : ""} {s.effect}:{" "}
                    {s.applies ? "applies" : "does not apply"}
                    {s.principal ? ` · principal ${s.principal.matched ? "matches" : "does not match"}` : ""}{" "}
                    · action {s.action.matched ? "matches" : "does not match"}
                  </p>
                  <ul>
                    {s.conditions.map((c) => (
                      <li class={c.result ? "match" : "nomatch"}>
                        <code>
                          {c.operator} {c.key}
                        </code>
                        : token has {JSON.stringify(c.requestValues)}, policy wants{" "}
                        {JSON.stringify(c.policyValues)} → {c.result ? "match" : "no match"}
                        {c.reason ? ` (${c.reason})` : ""}
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </div>
          ))}
        </section>
      ) : null}
      {result ? (
        <section aria-label="lint findings">
          <h3>Lint findings ({result.findings.length})</h3>
          <ul>
            {result.findings.map((f) => (
              <li class={`finding ${f.severity}`}>
                <strong>
                  {f.rule} {f.severity}
                </strong>{" "}
                {f.message}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Section>
  );
}
