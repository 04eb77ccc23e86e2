import { useState } from "preact/hooks";
import { api, type Environment, enc, type Organization, type Project, type SessionInfo } from "../api.js";
import { ErrorNote, message, Section, useLoad } from "../ui.js";
import { useOrganizations } from "./common.js";

/** A one-field form: a name, and a button. */
function NameForm(props: { label: string; button: string; onSubmit: (name: string) => Promise<unknown> }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | undefined>();
  const id = `f-${props.label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <form
      class="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await props.onSubmit(name);
          setName("");
          setError(undefined);
        } catch (err) {
          setError(message(err));
        }
      }}
    >
      <label for={id}>{props.label}</label>{" "}
      <input id={id} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />{" "}
      <button type="submit">{props.button}</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function OrganizationsPage({ session }: { session: SessionInfo }) {
  const orgs = useOrganizations(session);
  return (
    <Section title="Organizations">
      <ErrorNote error={orgs.error} />
      <ul class="list">
        {(orgs.data ?? []).map((o) => (
          <li>
            <a href={`#/orgs/${enc(o.id)}`}>{o.name}</a> <span class="muted">{o.profile}</span>
          </li>
        ))}
      </ul>
      {session.actor.scope === "admin" ? (
        <NameForm
          label="New organization"
          button="Create organization"
          onSubmit={async (name) => {
            await api.post("v1/organizations", { name });
            orgs.reload();
          }}
        />
      ) : null}
    </Section>
  );
}

function EnvironmentRow(props: { org: string; project: string; env: Environment; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(props.env.name);
  const [error, setError] = useState<string | undefined>();
  const url = `v1/organizations/${enc(props.org)}/projects/${enc(props.project)}/environments/${enc(props.env.id)}`;
  if (!editing)
    return (
      <li data-env={props.env.name}>
        {props.env.name}{" "}
        <button type="button" class="small" onClick={() => setEditing(true)}>
          Rename
        </button>
      </li>
    );
  return (
    <li>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await api.patch(url, { name });
            setEditing(false);
            props.onChange();
          } catch (err) {
            setError(message(err));
          }
        }}
      >
        <input
          aria-label="environment name"
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />{" "}
        <button type="submit">Save</button>
        <ErrorNote error={error} />
      </form>
    </li>
  );
}

function ProjectCard({ org, project }: { org: string; project: Project }) {
  const url = `v1/organizations/${enc(org)}/projects/${enc(project.id)}/environments`;
  const envs = useLoad(async () => (await api.get<{ environments: Environment[] }>(url)).environments, [url]);
  return (
    <article class="card" aria-label={`project ${project.name}`}>
      <h3>{project.name}</h3>
      <ErrorNote error={envs.error} />
      <ul class="list">
        {(envs.data ?? []).map((env) => (
          <EnvironmentRow org={org} project={project.id} env={env} onChange={envs.reload} />
        ))}
      </ul>
      <NameForm
        label={`New environment in ${project.name}`}
        button="Create environment"
        onSubmit={async (name) => {
          await api.post(url, { name });
          envs.reload();
        }}
      />
    </article>
  );
}

export function OrganizationPage({ session, org }: { session: SessionInfo; org: string }) {
  const O = `v1/organizations/${enc(org)}`;
  const data = useLoad(
    async () => ({
      org: await api.get<Organization>(O),
      projects: (await api.get<{ projects: Project[] }>(`${O}/projects`)).projects,
    }),
    [org, session.actor.keyId],
  );
  return (
    <Section title={`Organization ${data.data?.org.name ?? org}`}>
      <p>
        <a href="#/orgs">← organizations</a> · <a href={`#/oidc/${enc(org)}`}>OIDC settings</a> ·{" "}
        <a href={`#/runs/${enc(org)}`}>runs</a>
      </p>
      <ErrorNote error={data.error} />
      {(data.data?.projects ?? []).map((p) => (
        <ProjectCard org={org} project={p} />
      ))}
      {data.data ? (
        <NameForm
          label="New project"
          button="Create project"
          onSubmit={async (name) => {
            await api.post(`${O}/projects`, { name });
            data.reload();
          }}
        />
      ) : null}
    </Section>
  );
}
