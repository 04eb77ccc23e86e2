import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api.js";

/** Data loaded from the server, reloaded when `deps` change or every `pollMs` (runs update while open). */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  pollMs?: number,
): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const run = () =>
      load().then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(undefined);
        },
        (e: unknown) => live && setError(message(e)),
      );
    run();
    const timer = pollMs ? setInterval(run, pollMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

export const message = (e: unknown): string =>
  e instanceof ApiError ? `${e.message} (${e.status})` : e instanceof Error ? e.message : String(e);

export function ErrorNote({ error }: { error: string | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Pretty JSON in a `<pre>`. */
export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" data-part={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** A confirmation that says what will happen before doing it. */
export function Confirm(props: {
  text: string;
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div class="confirm" role="alertdialog" aria-label="confirm">
      <p>{props.text}</p>
      <button type="button" class="danger" onClick={props.onConfirm}>
        {props.action}
      </button>{" "}
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}
