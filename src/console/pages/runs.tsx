import { type AuditEntry, api, enc, inWords, type Run, type SessionInfo } from "../api.js";
import { ErrorNote, Json, Section, useLoad } from "../ui.js";
import { environmentsOf, OrgPicker, useOrganizations } from "./common.js";

/** How often the runs list and a run's tokens are fetched again while the page is open. */
const POLL_MS = 1500;

export function RunsPage({ session, org }: { session: SessionInfo; org: string | undefined }) {
  const orgs = useOrganizations(session);
  const current = org ?? orgs.data?.[0]?.id;
  const envs = useLoad(async () => (current ? environmentsOf(current) : []), [current]);
  const runs = useLoad(
    async () =>
      current ? (await api.get<{ runs: Run[] }>(`v1/organizations/${enc(current)}/runs?limit=100`)).runs : [],
    [current],
    POLL_MS,
  );
  const envName = (id: string) => {
    const e = envs.data?.find((x) => x.id === id);
    return e ? `${e.project.name} / ${e.name}` : id;
  };
  const now = Date.now();
  return (
    <Section title="Runs">
      <OrgPicker page="runs" orgs={orgs.data ?? []} current={current} />
      <ErrorNote error={orgs.error ?? runs.error} />
      <div class="scroll">
        <table aria-label="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>Status</th>
              <th>Phase</th>
              <th>Environment</th>
              <th>Deployer</th>
              <th>Age</th>
            </tr>
          </thead>
          <tbody>
            {(runs.data ?? []).map((r) => (
              <tr data-run={r.id}>
                <td>
                  <a href={`#/runs/${enc(current!)}/${enc(r.id)}`}>{r.id.slice(0, 8)}</a>
                </td>
                <td>
                  <span class={`status ${r.status}`}>{r.status}</span>
                </td>
                <td>{r.phase}</td>
                <td>{envName(r.environmentId)}</td>
                <td>{r.deployer}</td>
                <td>{inWords(Date.parse(r.createdAt), now).replace(/^in /, "")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {runs.data?.length === 0 ? <p>No runs yet.</p> : null}
    </Section>
  );
}

interface MintedToken {
  readonly entry: AuditEntry;
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** One run and every token minted for it, rebuilt from the mint's audit record and the run's claims. */
export function RunPage({ org, run }: { org: string; run: string }) {
  const O = `v1/organizations/${enc(org)}`;
  const data = useLoad(
    async () => {
      const r = await api.get<Run>(`${O}/runs/${enc(run)}`);
      const { entries } = await api.get<{ entries: AuditEntry[] }>(`${O}/audit?action=token.mint&limit=1000`);
      const mints = entries.filter((e) => e.target === run);
      const tokens: MintedToken[] = [];
      for (const entry of mints) {
        const d = entry.details as {
          audience?: string;
          iat?: number;
          exp?: number;
          jti?: string;
          kid?: string;
        };
        // The mint recorded the token's iat; older records only have the audit time.
        const at = d.iat ?? Math.floor(Number(entry.at) / 1000);
        let preview: { header: Record<string, unknown>; claims: Record<string, unknown> };
        try {
          preview = await api.post(`${O}/claims/preview`, {
            runId: run,
            ...(d.audience ? { audience: d.audience } : {}),
          });
        } catch {
          preview = { header: {}, claims: {} };
        }
        const claims: Record<string, unknown> = {
          ...preview.claims,
          aud: d.audience,
          iat: at,
          nbf: at,
          exp: d.exp,
        };
        if ("jti" in preview.claims) claims.jti = d.jti;
        tokens.push({ entry, header: { ...preview.header, kid: d.kid ?? entry.kid }, claims });
      }
      return { run: r, tokens };
    },
    [org, run],
    POLL_MS * 2,
  );
  const now = Date.now();
  const r = data.data?.run;
  return (
    <Section title={`Run ${run}`}>
      <p>
        <a href={`#/runs/${enc(org)}`}>← all runs</a>
      </p>
      <ErrorNote error={data.error} />
      {r ? (
        <dl class="facts">
          <dt>Status</dt>
          <dd>{r.status}</dd>
          <dt>Phase</dt>
          <dd>{r.phase}</dd>
          <dt>Deployer</dt>
          <dd>{r.deployer}</dd>
          <dt>Started</dt>
          <dd>{inWords(Date.parse(r.createdAt), now)}</dd>
        </dl>
      ) : null}
      <h3>Tokens minted ({data.data?.tokens.length ?? 0})</h3>
      {data.data?.tokens.length === 0 ? <p>No token minted for this run yet.</p> : null}
      {(data.data?.tokens ?? []).map((t) => {
        const exp = Number(t.claims.exp) * 1000;
        const iat = Number(t.claims.iat) * 1000;
        return (
          <article class="token" aria-label={`token ${t.entry.id}`}>
            <p>
              <strong>audience</strong> {String(t.claims.aud)} · <strong>lifetime</strong>{" "}
              {Math.round((exp - iat) / 1000)} s · <strong>expires</strong>{" "}
              <span class="expiry">{inWords(exp, now)}</span> ({new Date(exp).toISOString()})
            </p>
            <div class="pair">
              <Json value={t.header} label="header" />
              <Json value={t.claims} label="claims" />
            </div>
          </article>
        );
      })}
    </Section>
  );
}
