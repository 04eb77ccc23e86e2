import { useState } from "preact/hooks";
import { type AuditEntry, api, enc, type SessionInfo } from "../api.js";
import { ErrorNote, Section, useLoad } from "../ui.js";
import { useOrganizations } from "./common.js";

const PAGE = 50;

/**
 * The audit log, newest first, a page at a time, filtered by the admin API itself (organization in the
 * path; `kind` — an action or its first part —, `actor` — `key:<id>`, `run:<id>` or `operator` —, `after`
 * and `before` in the query), so a filter covers the whole log and not only the page on screen.
 */
export function AuditPage({ session }: { session: SessionInfo }) {
  const orgs = useOrganizations(session);
  const admin = session.actor.scope === "admin";
  const [org, setOrg] = useState(admin ? "" : (session.actor.organizationId ?? ""));
  const [kind, setKind] = useState("");
  const [actor, setActor] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [pages, setPages] = useState<number[]>([]);
  const before = pages.at(-1) ?? (until ? Date.parse(until) : undefined);
  const after = since ? Date.parse(since) : undefined;
  const entries = useLoad(async () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (kind) q.set("kind", kind);
    if (actor) q.set("actor", actor);
    if (after !== undefined && !Number.isNaN(after)) q.set("after", String(after));
    if (before !== undefined && !Number.isNaN(before)) q.set("before", String(before));
    const path = org ? `v1/organizations/${enc(org)}/audit` : "v1/audit";
    return (await api.get<{ entries: AuditEntry[] }>(`${path}?${q}`)).entries;
  }, [org, kind, actor, after, before]);
  const shown = entries.data ?? [];
  // The filter fields are uncontrolled (defaultValue): a page that finishes loading while one is being
  // typed in must not put the old value back; the filter applies on change (Enter or leaving the field).
  const reset = () => setPages([]);
  return (
    <Section title="Audit log">
      <form class="filters" aria-label="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Organization{" "}
          <select
            value={org}
            onChange={(e) => {
              setOrg((e.target as HTMLSelectElement).value);
              reset();
            }}
          >
            {admin ? <option value="">all</option> : null}
            {(orgs.data ?? []).map((o) => (
              <option value={o.id}>{o.name}</option>
            ))}
          </select>
        </label>
        <label>
          Kind{" "}
          <input
            placeholder="token.mint"
            defaultValue={kind}
            onChange={(e) => {
              setKind((e.target as HTMLInputElement).value.trim());
              reset();
            }}
          />
        </label>
        <label>
          Actor{" "}
          <input
            placeholder="key:… run:… operator"
            defaultValue={actor}
            onChange={(e) => {
              setActor((e.target as HTMLInputElement).value.trim());
              reset();
            }}
          />
        </label>
        <label>
          After{" "}
          <input
            type="datetime-local"
            defaultValue={since}
            onChange={(e) => {
              setSince((e.target as HTMLInputElement).value);
              reset();
            }}
          />
        </label>
        <label>
          Before{" "}
          <input
            type="datetime-local"
            defaultValue={until}
            onChange={(e) => {
              setUntil((e.target as HTMLInputElement).value);
              reset();
            }}
          />
        </label>
      </form>
      <ErrorNote error={entries.error} />
      <div class="scroll">
        <table aria-label="audit entries">
          <thead>
            <tr>
              <th>When</th>
              <th>Kind</th>
              <th>Actor</th>
              <th>Target</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr>
                <td>{new Date(Number(e.at)).toISOString().replace("T", " ").slice(0, 19)}</td>
                <td>{e.action}</td>
                <td>{e.actor}</td>
                <td>{e.target ?? ""}</td>
                <td>
                  <code>{JSON.stringify(e.details)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="pager">
        <button type="button" disabled={pages.length === 0} onClick={() => setPages(pages.slice(0, -1))}>
          ← Newer
        </button>{" "}
        <button
          type="button"
          disabled={(entries.data?.length ?? 0) < PAGE}
          onClick={() => {
            const last = entries.data?.at(-1);
            if (last) setPages([...pages, Number(last.at)]);
          }}
        >
          Older →
        </button>
      </p>
    </Section>
  );
}
