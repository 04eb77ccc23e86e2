import { useState } from "preact/hooks";
import { api, enc, inWords, type SessionInfo, type SigningKey } from "../api.js";
import { Confirm, ErrorNote, message, Section, useLoad } from "../ui.js";

function Timeline({ k, now, cacheMs }: { k: SigningKey; now: number; cacheMs: number }) {
  const at = (v: string | null) => (v ? Date.parse(v) : undefined);
  const created = at(k.createdAt);
  const gone = at(k.unpublishAt);
  // AWS verifies with the copy of the JWKS it fetched, kept up to `cacheMs`: a new key is usable once
  // every cached copy has it, and a key out of the JWKS may be in a cached copy for as long again. Its
  // private key is safe to delete only then (every token it signed expired, skew included, and no
  // verifier still holds it).
  const stages: [string, number | undefined, string?][] = [
    ["published", created],
    ["in AWS's cache", created === undefined ? undefined : created + cacheMs, "cache"],
    ["signing", at(k.activateAt)],
    ["retiring", at(k.supersededAt)],
    ["gone", gone],
    ["safe to remove", gone === undefined ? undefined : gone + cacheMs, "safe"],
  ];
  return (
    <ol class="timeline" aria-label={`timeline of ${k.kid}`}>
      {stages.map(([label, t, role]) => (
        <li
          class={t === undefined ? "future" : t <= now ? "past" : "future"}
          data-stage={role ?? label}
          data-at={t === undefined ? "" : new Date(t).toISOString()}
        >
          <strong>{label}</strong>
          <span>{t === undefined ? "not scheduled" : `${inWords(t, now)}`}</span>
        </li>
      ))}
    </ol>
  );
}

/** Signing keys: where each is in its life, and rotate / retire with what will happen said first. */
export function KeysPage({ session }: { session: SessionInfo }) {
  const keys = useLoad(
    async () => (await api.get<{ signingKeys: SigningKey[] }>("v1/signing-keys")).signingKeys,
    [session.actor.keyId],
  );
  const [asking, setAsking] = useState<
    { text: string; action: string; run: () => Promise<unknown> } | undefined
  >();
  const [done, setDone] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const now = Date.now();
  if (session.actor.scope !== "admin")
    return (
      <Section title="Signing keys">
        <p>Signing keys are the server's: an admin key manages them.</p>
      </Section>
    );
  const act = async () => {
    const a = asking;
    setAsking(undefined);
    if (!a) return;
    try {
      const result = await a.run();
      setDone(`${a.action}: ${JSON.stringify(result)}`);
      setError(undefined);
      keys.reload();
    } catch (err) {
      setError(message(err));
    }
  };
  return (
    <Section title="Signing keys">
      <p class="hint">
        A new key is published in the JWKS for the whole overlap before it signs, because AWS caches an
        issuer's JWKS and verifies a token only with a key it has fetched; a replaced key stays published
        until every token it signed has expired ({session.tokenSkewSeconds / 60} minutes of AWS's skew
        included). AWS may keep a fetched JWKS for up to {session.jwksCacheSeconds / 60} minutes (the shortest
        overlap keyless allows), so a key is "safe to remove" that long after it left the JWKS.
      </p>
      <button
        type="button"
        onClick={() =>
          setAsking({
            action: "Rotate",
            text: "Rotate: a new key is published now and starts signing after the overlap, once AWS has had time to fetch the JWKS; the current key keeps signing until then, and stays published afterwards until its tokens have expired. Nothing breaks for running jobs.",
            run: () => api.post("v1/signing-keys/rotate", { immediate: false }),
          })
        }
      >
        Rotate…
      </button>
      {asking ? (
        <Confirm
          text={asking.text}
          action={asking.action}
          onConfirm={act}
          onCancel={() => setAsking(undefined)}
        />
      ) : null}
      {done ? <p role="status">{done}</p> : null}
      <ErrorNote error={error ?? keys.error} />
      {(keys.data ?? []).map((k) => (
        <article class="card" aria-label={`key ${k.kid}`} data-state={k.state}>
          <h3>
            {k.kid} <span class={`status ${k.state}`}>{k.state}</span> <span class="muted">{k.alg}</span>
          </h3>
          <Timeline k={k} now={now} cacheMs={session.jwksCacheSeconds * 1000} />
          {k.state === "superseded" ? (
            <button
              type="button"
              onClick={() =>
                setAsking({
                  action: "Retire",
                  text: `Retire ${k.kid}: it leaves the JWKS at once, so AWS refuses any token it signed that has not expired yet (AWS may still use its cached copy of the JWKS for a while). Retire only a key you no longer trust.`,
                  run: () => api.post(`v1/signing-keys/${enc(k.kid)}/retire`),
                })
              }
            >
              Retire…
            </button>
          ) : null}
        </article>
      ))}
    </Section>
  );
}
