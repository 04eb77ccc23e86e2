import { useState } from "preact/hooks";
import { api, enc, inWords, type SessionInfo, type SigningKey } from "../api.js";
import { Confirm, ErrorNote, message, Section, useLoad } from "../ui.js";

const STAGES: readonly [keyof SigningKey, string][] = [
  ["createdAt", "published"],
  ["activateAt", "signing"],
  ["supersededAt", "retiring"],
  ["unpublishAt", "gone"],
];

function Timeline({ k, now }: { k: SigningKey; now: number }) {
  return (
    <ol class="timeline" aria-label={`timeline of ${k.kid}`}>
      {STAGES.map(([field, label]) => {
        const at = k[field] as string | null;
        const t = at ? Date.parse(at) : undefined;
        return (
          <li class={t === undefined ? "future" : t <= now ? "past" : "future"}>
            <strong>{label}</strong>
            <span>{t === undefined ? "not scheduled" : `${inWords(t, now)}`}</span>
          </li>
        );
      })}
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
        until every token it signed has expired.
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
          <Timeline k={k} now={now} />
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
