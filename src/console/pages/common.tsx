import { api, type Environment, enc, type Organization, type Project, type SessionInfo } from "../api.js";
import { useLoad } from "../ui.js";

/** The organizations the session may see (an organization admin sees theirs only). */
export function useOrganizations(session: SessionInfo) {
  return useLoad(
    async () => (await api.get<{ organizations: Organization[] }>("v1/organizations")).organizations,
    [session.actor.keyId],
  );
}

/** Every environment of an organization, with its project. */
export async function environmentsOf(org: string): Promise<(Environment & { project: Project })[]> {
  const { projects } = await api.get<{ projects: Project[] }>(`v1/organizations/${enc(org)}/projects`);
  const lists = await Promise.all(
    projects.map(async (project) =>
      (
        await api.get<{ environments: Environment[] }>(
          `v1/organizations/${enc(org)}/projects/${enc(project.id)}/environments`,
        )
      ).environments.map((e) => ({ ...e, project })),
    ),
  );
  return lists.flat();
}

/** An organization picker bound to the page's address (`#/<page>/<org>`). */
export function OrgPicker(props: {
  page: string;
  orgs: readonly Organization[];
  current: string | undefined;
}) {
  return (
    <label class="picker">
      Organization{" "}
      <select
        value={props.current ?? ""}
        onChange={(e) => {
          location.hash = `#/${props.page}/${enc((e.target as HTMLSelectElement).value)}`;
        }}
      >
        {props.orgs.map((o) => (
          <option value={o.id}>{o.name}</option>
        ))}
      </select>
    </label>
  );
}
