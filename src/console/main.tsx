import "./app.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentSession, type SessionInfo, signIn, signOut } from "./api.js";
import { AuditPage } from "./pages/audit.js";
import { KeysPage } from "./pages/keys.js";
import { OidcPage } from "./pages/oidc.js";
import { OrganizationPage, OrganizationsPage } from "./pages/orgs.js";
import { PlaygroundPage } from "./pages/playground.js";
import { RunPage, RunsPage } from "./pages/runs.js";
import { ErrorNote, message } from "./ui.js";

/** `#/runs/ORG/RUN` → ["runs", "ORG", "RUN"]. */
function route(): string[] {
  return location.hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
}

function useRoute(): string[] {
  const [parts, setParts] = useState(route());
  useEffect(() => {
    const on = () => setParts(route());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return parts;
}

function SignIn({ onSignedIn }: { onSignedIn: (s: SessionInfo) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      onSignedIn(await signIn({ key }));
      setKey("");
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <main class="signin">
      <h1>keyless console</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit">Sign in</button>
      </form>
      <p class="hint">An admin or organization-admin key; runner keys cannot sign in.</p>
      <ErrorNote error={error} />
    </main>
  );
}

const NAV: readonly [string, string][] = [
  ["runs", "Runs"],
  ["orgs", "Organizations"],
  ["oidc", "OIDC settings"],
  ["playground", "Playground"],
  ["keys", "Signing keys"],
  ["audit", "Audit"],
];

function Shell({ session, onSignOut }: { session: SessionInfo; onSignOut: () => void }) {
  const parts = useRoute();
  const [page = "runs", a, b] = parts;
  let body: preact.ComponentChildren;
  if (page === "runs" && a && b) body = <RunPage org={a} run={b} />;
  else if (page === "runs") body = <RunsPage session={session} org={a} />;
  else if (page === "orgs" && a) body = <OrganizationPage session={session} org={a} />;
  else if (page === "orgs") body = <OrganizationsPage session={session} />;
  else if (page === "oidc") body = <OidcPage session={session} org={a} />;
  else if (page === "playground") body = <PlaygroundPage session={session} />;
  else if (page === "keys") body = <KeysPage session={session} />;
  else if (page === "audit") body = <AuditPage session={session} />;
  else body = <p>No page {page}.</p>;
  return (
    <>
      <header>
        <strong class="brand">keyless</strong>
        <nav aria-label="main">
          {NAV.map(([id, label]) => (
            <a href={`#/${id}`} aria-current={page === id ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.actor.name} ({session.actor.scope === "admin" ? "admin" : "organization admin"}){" "}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>{body}</main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    // `keyless dev`'s sign-in link carries a one-time code in the fragment (never sent to a server, so in
    // no log); it is taken out of the address bar before anything else happens.
    const code = /^#code=([\w-]+)$/.exec(location.hash)?.[1];
    if (code) {
      history.replaceState(null, "", `${location.pathname}#/runs`);
      signIn({ code }).then(setSession, (e: unknown) => {
        setError(message(e));
        setSession(null);
      });
      return;
    }
    currentSession().then(
      (s) => setSession(s ?? null),
      (e: unknown) => {
        setError(message(e));
        setSession(null);
      },
    );
  }, []);
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null)
    return (
      <>
        <SignIn onSignedIn={setSession} />
        <ErrorNote error={error} />
      </>
    );
  return (
    <Shell
      session={session}
      onSignOut={() => {
        signOut().then(
          () => setSession(null),
          (e: unknown) => setError(message(e)),
        );
      }}
    />
  );
}

render(<App />, document.getElementById("app")!);
