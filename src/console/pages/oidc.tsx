import { useEffect, useState } from "preact/hooks";
import { api, enc, type Organization, type Run, type SessionInfo, subPreview } from "../api.js";
import { ErrorNote, Json, message, Section, useLoad } from "../ui.js";
import { environmentsOf, OrgPicker, useOrganizations } from "./common.js";

type Preview = { claims: Record<string, unknown> } | { error: string } | undefined;

/** OIDC settings of one organization, with a live preview of `sub` and the claims for a run or sample. */
function Settings({ org, profiles }: { org: Organization; profiles: readonly string[] }) {
  const [profile, setProfile] = useState(org.profile);
  const [audiences, setAudiences] = useState(org.allowedAudiences.join("\n"));
  const [tags, setTags] = useState(org.sessionTags.enabled);
  const [template, setTemplate] = useState(org.subTemplate ?? "");
  const [source, setSource] = useState("");
  const [saved, setSaved] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [preview, setPreview] = useState<Preview>(undefined);
  const O = `v1/organizations/${enc(org.id)}`;
  const runs = useLoad(async () => (await api.get<{ runs: Run[] }>(`${O}/runs?limit=20`)).runs, [O]);
  const envs = useLoad(() => environmentsOf(org.id), [org.id]);
  const choice =
    source || (runs.data?.[0] ? `run:${runs.data[0].id}` : envs.data?.[0] ? `env:${envs.data[0].id}` : "");

  useEffect(() => {
    if (!choice) return;
    let live = true;
    const timer = setTimeout(() => {
      const [kind, id] = choice.split(":") as [string, string];
      subPreview(org.id, {
        subTemplate: template,
        ...(kind === "run" ? { runId: id } : { environmentId: id, attributes: { ref: "refs/heads/main" } }),
      }).then(
        (p) => live && setPreview({ claims: p.claims }),
        (e: unknown) => live && setPreview({ error: message(e) }),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [template, choice, org.id]);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      await api.patch(O, {
        profile,
        subTemplate: template.trim() === "" ? null : template,
        allowedAudiences: audiences
          .split("\n")
          .map((a) => a.trim())
          .filter(Boolean),
        sessionTags: { ...org.sessionTags, enabled: tags },
      });
      setSaved("Saved.");
      setError(undefined);
    } catch (err) {
      setError(message(err));
      setSaved(undefined);
    }
  };
  const sub = preview && "claims" in preview ? String(preview.claims.sub) : undefined;
  return (
    <div class="pair">
      <form onSubmit={save} class="stack" aria-label="OIDC settings">
        <label for="profile">Compatibility profile</label>
        <select
          id="profile"
          value={profile}
          onChange={(e) => setProfile((e.target as HTMLSelectElement).value)}
        >
          {profiles.map((p) => (
            <option>{p}</option>
          ))}
        </select>
        <label for="audiences">Allowed audiences (one a line; empty: the profile's default)</label>
        <textarea
          id="audiences"
          rows={3}
          value={audiences}
          onInput={(e) => setAudiences((e.target as HTMLTextAreaElement).value)}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={tags}
            onChange={(e) => setTags((e.target as HTMLInputElement).checked)}
          />{" "}
          Session tags in tokens
        </label>
        <label for="sub-template">Subject (`sub`) template (empty: the profile's default)</label>
        <input
          id="sub-template"
          value={template}
          onInput={(e) => setTemplate((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Save settings</button>
        {saved ? <p role="status">{saved}</p> : null}
        <ErrorNote error={error} />
      </form>
      <section class="stack" aria-label="preview">
        <label for="preview-source">Preview for</label>
        <select
          id="preview-source"
          value={choice}
          onChange={(e) => setSource((e.target as HTMLSelectElement).value)}
        >
          {(runs.data ?? []).map((r) => (
            <option value={`run:${r.id}`}>
              run {r.id.slice(0, 8)} ({r.phase}, {r.deployer})
            </option>
          ))}
          {(envs.data ?? []).map((e) => (
            <option value={`env:${e.id}`}>
              sample apply run in {e.project.name} / {e.name}
            </option>
          ))}
        </select>
        <p>
          <strong>sub</strong> <code class="sub-preview">{sub ?? "—"}</code>
        </p>
        {preview && "error" in preview ? (
          <p class="error refusal" role="alert">
            {preview.error}
          </p>
        ) : null}
        {preview && "claims" in preview ? <Json value={preview.claims} label="preview claims" /> : null}
      </section>
    </div>
  );
}

export function OidcPage({ session, org }: { session: SessionInfo; org: string | undefined }) {
  const orgs = useOrganizations(session);
  const current = org ?? orgs.data?.[0]?.id;
  const found = useLoad(
    async () => (current ? api.get<Organization>(`v1/organizations/${enc(current)}`) : undefined),
    [current],
  );
  return (
    <Section title="OIDC settings">
      <OrgPicker page="oidc" orgs={orgs.data ?? []} current={current} />
      <ErrorNote error={orgs.error ?? found.error} />
      {found.data ? <Settings key={found.data.id} org={found.data} profiles={session.profiles} /> : null}
    </Section>
  );
}
