import { instantiate } from "./admission.js";
import type { PlatformId } from "./platform.js";

/**
 * Subject grammars (trust-policy-rules §1.1), used to build probe subjects — never to decide: whether a
 * probe is admitted is the policy engine's answer. From one `sub` value of a policy (a pattern or an
 * exact value) a grammar reads the fields the author meant (tenant, project, context…), makes an
 * "anchor" subject the value should admit, and then variants of the anchor that differ in one field:
 * another organisation, another repository of the same organisation, a pull request, another branch, a
 * name with a suffix glued on, the other run phase.
 */
export type FieldRole = "tenant" | "project" | "context" | "dimension" | "other";

export type ProbeKind =
  | "universal"
  | "other-tenant"
  | "lookalike-tenant"
  | "other-project"
  | "project-prefix"
  | "untrusted-context"
  | "other-context"
  | "context-prefix"
  | "dimension";

export interface SubjectField {
  readonly name: string;
  readonly role: FieldRole;
  readonly value: string;
  /** The value as written in the policy (a pattern), or undefined when a wildcard spanned it. */
  readonly written: string | undefined;
}

export interface SubjectProbe {
  readonly kind: ProbeKind;
  readonly subject: string;
  readonly field: string;
  /** What the probe stands for, for messages: "a pull request", "repository zz-other-repo". */
  readonly what: string;
}

export interface SubjectAnalysis {
  readonly anchor: string;
  readonly fields: readonly SubjectField[];
  readonly probes: readonly SubjectProbe[];
}

interface FieldSpec {
  readonly name: string;
  readonly role: FieldRole;
  readonly fallback: string;
  /** Context values that run code nobody reviewed (pull requests, proposed runs, merge-request branches). */
  readonly untrusted?: readonly string[];
  /** Other ordinary contexts (another branch, tag, environment). */
  readonly others?: readonly string[];
  /** The other values of a security-relevant dimension (run phase, ref type, scope). */
  readonly alternatives?: readonly string[];
  /** Alias keys that fill the same field (Spacelift `module` for `stack`). */
  readonly aliases?: readonly string[];
  /** Only present when written (Spacelift template fields): never filled in for a spanning wildcard. */
  readonly optional?: boolean;
}

interface Layout {
  readonly specs: readonly FieldSpec[];
  readonly values: ReadonlyMap<string, { value: string; written: string | undefined }>;
  render(values: ReadonlyMap<string, string>): string;
}

const fill = (written: string | undefined, fallback: string): string => {
  if (written === undefined) return fallback;
  const text = instantiate(written);
  return text === "" ? fallback : text;
};

function analyse(layout: Layout, sharedIssuer: boolean): SubjectAnalysis {
  const fields: SubjectField[] = layout.specs.map((spec) => {
    const v = layout.values.get(spec.name);
    return { name: spec.name, role: spec.role, value: v?.value ?? spec.fallback, written: v?.written };
  });
  const base = new Map(fields.map((f) => [f.name, f.value]));
  const variant = (changes: Record<string, string>) =>
    layout.render(new Map([...base, ...Object.entries(changes)]));
  const probes: SubjectProbe[] = [];
  const idLike = (value: string, name: string) => (value.includes("@") ? `${name}@424242` : name);

  // Everything the issuer could sign: every field changed (the tenant only where the issuer is shared).
  const everything: Record<string, string> = {};
  const everythingUntrusted: Record<string, string> = {};
  for (const spec of layout.specs) {
    const current = base.get(spec.name)!;
    if (spec.role === "tenant" && !sharedIssuer) continue;
    const replacement =
      spec.role === "context"
        ? (spec.others?.[0] ?? spec.untrusted?.[0] ?? "zz-context")
        : spec.role === "dimension"
          ? (spec.alternatives?.find((a) => a !== current) ?? current)
          : idLike(current, `zz-any-${spec.name.replaceAll("_", "-")}`);
    everything[spec.name] = replacement;
    everythingUntrusted[spec.name] =
      spec.role === "context" ? (spec.untrusted?.[0] ?? replacement) : replacement;
  }
  probes.push({
    kind: "universal",
    subject: variant(everything),
    field: "*",
    what: "any subject of the issuer",
  });
  probes.push({
    kind: "universal",
    subject: variant(everythingUntrusted),
    field: "*",
    what: "any subject of the issuer",
  });

  // A wildcard after a delimiter (`release/*`) is a deliberate subtree, not a name with a glued suffix.
  const isGlued = (name: string) => {
    const written = layout.values.get(name)?.written;
    return !(written?.endsWith("/*") || written?.endsWith(":*"));
  };
  for (const spec of layout.specs) {
    const current = base.get(spec.name)!;
    if (spec.role === "tenant" && sharedIssuer) {
      const other = idLike(current, "zz-attacker");
      probes.push({
        kind: "other-tenant",
        subject: variant({ [spec.name]: other }),
        field: spec.name,
        what: `${spec.name} ${other}`,
      });
      const lookalike = `${current}-evil`;
      probes.push({
        kind: "lookalike-tenant",
        subject: variant({ [spec.name]: lookalike }),
        field: spec.name,
        what: `${spec.name} ${lookalike}`,
      });
    }
    if (spec.role === "project") {
      const other = idLike(current, `zz-other-${spec.name.replaceAll("_", "-")}`);
      probes.push({
        kind: "other-project",
        subject: variant({ [spec.name]: other }),
        field: spec.name,
        what: `${spec.name} ${other}`,
      });
      const glued = `${current}-evil`;
      if (isGlued(spec.name))
        probes.push({
          kind: "project-prefix",
          subject: variant({ [spec.name]: glued }),
          field: spec.name,
          what: `${spec.name} ${glued}`,
        });
    }
    if (spec.role === "context") {
      for (const u of spec.untrusted ?? []) {
        if (u !== current)
          probes.push({
            kind: "untrusted-context",
            subject: variant({ [spec.name]: u }),
            field: spec.name,
            what: u,
          });
      }
      for (const o of spec.others ?? []) {
        if (o !== current)
          probes.push({
            kind: "other-context",
            subject: variant({ [spec.name]: o }),
            field: spec.name,
            what: o,
          });
      }
      const glued = `${current}-evil`;
      if (isGlued(spec.name))
        probes.push({
          kind: "context-prefix",
          subject: variant({ [spec.name]: glued }),
          field: spec.name,
          what: glued,
        });
    }
    if (spec.role === "dimension") {
      for (const a of spec.alternatives ?? []) {
        if (a !== current)
          probes.push({
            kind: "dimension",
            subject: variant({ [spec.name]: a }),
            field: spec.name,
            what: `${spec.name} ${a}`,
          });
      }
    }
  }
  return { anchor: layout.render(base), fields, probes };
}

// ---- GitHub: repo:<owner>/<repo>:<context> -------------------------------------------------------------

const GITHUB_SPECS: readonly FieldSpec[] = [
  { name: "owner", role: "tenant", fallback: "octo-org" },
  { name: "repository", role: "project", fallback: "app" },
  {
    name: "context",
    role: "context",
    fallback: "ref:refs/heads/main",
    untrusted: ["pull_request"],
    others: ["ref:refs/heads/zz-feature", "ref:refs/tags/zz-tag", "environment:zz-env"],
  },
];

function githubLayout(pattern: string): Layout | undefined {
  if (!pattern.startsWith("repo:")) return undefined;
  const rest = pattern.slice("repo:".length);
  const slash = rest.indexOf("/");
  const colon = rest.indexOf(":");
  let owner: string | undefined;
  let repo: string | undefined;
  let context: string | undefined;
  if (slash >= 0 && (colon < 0 || slash < colon)) {
    owner = rest.slice(0, slash);
    const after = rest.slice(slash + 1);
    const c = after.indexOf(":");
    repo = c < 0 ? after : after.slice(0, c);
    context = c < 0 ? undefined : after.slice(c + 1);
  } else {
    owner = colon < 0 ? rest : rest.slice(0, colon);
    context = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  const values = new Map<string, { value: string; written: string | undefined }>([
    ["owner", { value: fill(owner, "octo-org"), written: owner }],
    ["repository", { value: fill(repo, "app"), written: repo }],
    ["context", { value: fill(context, "ref:refs/heads/main"), written: context }],
  ]);
  return {
    specs: GITHUB_SPECS,
    values,
    render: (v) => `repo:${v.get("owner")}/${v.get("repository")}:${v.get("context")}`,
  };
}

// ---- GitLab: project_path:<group>/<project>:ref_type:<t>:ref:<r> (component order configurable) -------

const GITLAB_SPECS: readonly FieldSpec[] = [
  { name: "group", role: "tenant", fallback: "acme" },
  { name: "project", role: "project", fallback: "app" },
  { name: "ref_type", role: "dimension", fallback: "branch", alternatives: ["branch", "tag"] },
  // Merge-request pipelines carry the source branch with no marker: any other branch is untrusted code.
  { name: "ref", role: "context", fallback: "main", untrusted: ["zz-feature"] },
];

function gitlabLayout(pattern: string): Layout | undefined {
  if (!pattern.startsWith("project_path:")) return undefined;
  const rest = pattern.slice("project_path:".length);
  const colon = rest.indexOf(":");
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const slash = path.indexOf("/");
  const group = slash < 0 ? path : path.slice(0, slash);
  const project = slash < 0 ? undefined : path.slice(slash + 1);
  const kv =
    colon < 0
      ? { pairs: [] as [string, string | undefined][], ok: true }
      : readPairs(rest.slice(colon + 1).split(":"), ["ref_type", "ref"]);
  if (!kv.ok) return undefined;
  const values = new Map<string, { value: string; written: string | undefined }>([
    ["group", { value: fill(group, "acme"), written: group }],
    ["project", { value: fill(project, "app"), written: project }],
  ]);
  for (const [k, v] of kv.pairs)
    values.set(k, { value: fill(v, k === "ref_type" ? "branch" : "main"), written: v });
  const order = [
    ...kv.pairs.map(([k]) => k),
    ...["ref_type", "ref"].filter((k) => !kv.pairs.some(([p]) => p === k)),
  ];
  return {
    specs: GITLAB_SPECS,
    values,
    render: (v) =>
      `project_path:${v.get("group")}/${v.get("project")}${order.map((k) => `:${k}:${v.get(k)}`).join("")}`,
  };
}

/** Reads `key:value:key:value…` tokens. A wildcard token where a key should be spans the rest. */
function readPairs(
  tokens: readonly string[],
  keys: readonly string[],
  multiTokenValues = false,
): { pairs: [string, string | undefined][]; ok: boolean } {
  const pairs: [string, string | undefined][] = [];
  let i = 0;
  while (i < tokens.length) {
    const key = tokens[i]!;
    if (!keys.includes(key)) return { pairs, ok: key.includes("*") || key.includes("?") };
    // One token, or (where values contain the separator, as CircleCI's vcs-origin) up to the next key.
    let j = Math.min(i + 2, tokens.length);
    if (multiTokenValues) while (j < tokens.length && !keys.includes(tokens[j]!)) j++;
    const value = j > i + 1 ? tokens.slice(i + 1, j).join(SEPARATOR_PLACEHOLDER) : undefined;
    pairs.push([key, value]);
    i = j;
  }
  return { pairs, ok: true };
}
const SEPARATOR_PLACEHOLDER = "\u0000";

// ---- key:value grammars (HCP Terraform, Buildkite, Spacelift, CircleCI, keyless) ----------------------

function keyValueLayout(
  pattern: string,
  specs: readonly FieldSpec[],
  separator: string,
  options: { allowLeadingWildcard: boolean },
): Layout | undefined {
  const keyOf = new Map<string, string>();
  for (const spec of specs) {
    keyOf.set(spec.name, spec.name);
    for (const alias of spec.aliases ?? []) keyOf.set(alias, spec.name);
  }
  let tokens = pattern.split(separator);
  let leading = "";
  if (options.allowLeadingWildcard && tokens[0] === "*" && tokens[1] !== undefined && keyOf.has(tokens[1])) {
    tokens = tokens.slice(1);
    leading = separator; // the `*` admits the empty string: the anchor starts with the separator
  }
  const read = readPairs(tokens, [...keyOf.keys()], separator === "/");
  if (!read.ok || read.pairs.length === 0) return undefined;
  const values = new Map<string, { value: string; written: string | undefined }>();
  const writtenKey = new Map<string, string>();
  for (const [key, raw] of read.pairs) {
    const name = keyOf.get(key)!;
    const written = raw?.replaceAll(SEPARATOR_PLACEHOLDER, separator);
    const spec = specs.find((s) => s.name === name)!;
    values.set(name, { value: fill(written, spec.fallback), written });
    writtenKey.set(name, key);
  }
  const present = read.pairs.map(([k]) => keyOf.get(k)!);
  // Fields a trailing wildcard spanned follow in the grammar's order; a leading wildcard may hide fields
  // before the first written key, which the anchor leaves out (the `*` admits their absence).
  const spanned = specs
    .map((s) => s.name)
    .filter(
      (n) =>
        !present.includes(n) && !specs.find((s) => s.name === n)?.optional && isAfterAll(n, present, specs),
    );
  const order = [...present, ...spanned];
  const used = specs.filter((s) => order.includes(s.name));
  return {
    specs: used,
    values,
    render: (v) =>
      leading + order.map((n) => `${writtenKey.get(n) ?? n}${separator}${v.get(n)}`).join(separator),
  };
}

function isAfterAll(name: string, present: readonly string[], specs: readonly FieldSpec[]): boolean {
  const index = specs.findIndex((s) => s.name === name);
  return present.every((p) => specs.findIndex((s) => s.name === p) < index);
}

const TFC_SPECS: readonly FieldSpec[] = [
  { name: "organization", role: "tenant", fallback: "acme" },
  { name: "project", role: "project", fallback: "Default Project" },
  { name: "workspace", role: "project", fallback: "app" },
  { name: "run_phase", role: "dimension", fallback: "apply", alternatives: ["plan", "apply"] },
];

const BUILDKITE_SPECS: readonly FieldSpec[] = [
  { name: "organization", role: "tenant", fallback: "acme" },
  { name: "pipeline", role: "project", fallback: "deploy" },
  {
    name: "ref",
    role: "context",
    fallback: "refs/heads/main",
    others: ["refs/heads/zz-feature", "refs/tags/zz-tag"],
  },
  { name: "commit", role: "other", fallback: "0123456789abcdef0123456789abcdef01234567" },
  { name: "step", role: "other", fallback: "deploy" },
];

const SPACELIFT_SPECS: readonly FieldSpec[] = [
  { name: "space", role: "project", fallback: "root" },
  { name: "space_path", role: "project", fallback: "/root", optional: true },
  { name: "stack", role: "project", fallback: "app", aliases: ["module"] },
  { name: "run_type", role: "context", fallback: "TRACKED", untrusted: ["PROPOSED"], others: ["TASK"] },
  { name: "scope", role: "dimension", fallback: "write", alternatives: ["read", "write"] },
];

const CIRCLECI_SPECS: readonly FieldSpec[] = [
  { name: "org", role: "tenant", fallback: "00000000-0000-0000-0000-000000000000" },
  { name: "project", role: "project", fallback: "11111111-1111-1111-1111-111111111111" },
  { name: "user", role: "other", fallback: "22222222-2222-2222-2222-222222222222" },
  { name: "vcs-origin", role: "project", fallback: "github.com/acme/app" },
  { name: "vcs-ref", role: "context", fallback: "refs/heads/main", others: ["refs/heads/zz-feature"] },
];

/**
 * keyless's own issuer: its default subject template is
 * `org:{organization}:project:{project}:env:{environment}:phase:{phase}` (the issuer's `keyless` profile),
 * so the keys are `org`, `project`, `env` and `phase`. The issuer is per installation (not shared), so
 * `org` is a tenant only in the sense of naming the customer inside it.
 */
export const KEYLESS_SPECS: readonly FieldSpec[] = [
  { name: "org", role: "tenant", fallback: "acme" },
  { name: "project", role: "project", fallback: "app" },
  { name: "env", role: "project", fallback: "production" },
  { name: "phase", role: "dimension", fallback: "apply", alternatives: ["plan", "apply"] },
];

/** The keyless issuer's default subject, as `keyless init aws` writes it and the linter reads it. */
export function keylessSubject(v: {
  organization: string;
  project: string;
  environment: string;
  phase: string;
}): string {
  return `org:${v.organization}:project:${v.project}:env:${v.environment}:phase:${v.phase}`;
}

// ---- Kubernetes: system:serviceaccount:<ns>:<sa> ---------------------------------------------------------

const IRSA_SPECS: readonly FieldSpec[] = [
  { name: "namespace", role: "project", fallback: "default" },
  { name: "serviceaccount", role: "project", fallback: "app" },
];

function irsaLayout(pattern: string): Layout | undefined {
  const prefix = "system:serviceaccount:";
  if (!pattern.startsWith(prefix)) return undefined;
  const rest = pattern.slice(prefix.length);
  const colon = rest.indexOf(":");
  const ns = colon < 0 ? rest : rest.slice(0, colon);
  const sa = colon < 0 ? undefined : rest.slice(colon + 1);
  return {
    specs: IRSA_SPECS,
    values: new Map([
      ["namespace", { value: fill(ns, "default"), written: ns }],
      ["serviceaccount", { value: fill(sa, "app"), written: sa }],
    ]),
    render: (v) => `${prefix}${v.get("namespace")}:${v.get("serviceaccount")}`,
  };
}

// ---- env0: auth0|<24 hex>, one per organisation --------------------------------------------------------

function env0Layout(pattern: string): Layout | undefined {
  if (!pattern.startsWith("auth0|") && pattern !== "*") return undefined;
  return {
    specs: [{ name: "organization", role: "tenant", fallback: "auth0|000000000000000000000000" }],
    values: new Map([
      ["organization", { value: fill(pattern, "auth0|000000000000000000000000"), written: pattern }],
    ]),
    render: (v) => v.get("organization")!,
  };
}

// ---- Bitbucket: {repoUuid}:{stepUuid} or {repoUuid}:{envUuid}:{stepUuid} --------------------------------

function bitbucketLayout(pattern: string): Layout | undefined {
  const parts = pattern.split(":");
  if (parts.length < 2 || parts.length > 3) return undefined;
  const names = parts.length === 2 ? ["repository", "step"] : ["repository", "environment", "step"];
  const specs: FieldSpec[] = names.map((name) => ({
    name,
    role: name === "repository" ? "project" : name === "environment" ? "dimension" : "other",
    fallback: `{${name}-uuid}`,
    alternatives: name === "environment" ? ["{zz-other-environment}"] : undefined,
  }));
  return {
    specs,
    values: new Map(names.map((n, i) => [n, { value: fill(parts[i], `{${n}-uuid}`), written: parts[i] }])),
    render: (v) => names.map((n) => v.get(n)).join(":"),
  };
}

/** The analysis of one `sub` value for a platform, or undefined when the value has another shape. */
export function analyseSubject(
  platform: PlatformId,
  pattern: string,
  sharedIssuer: boolean,
): SubjectAnalysis | undefined {
  const layout = layoutFor(platform, pattern);
  return layout ? analyse(layout, sharedIssuer) : undefined;
}

function layoutFor(platform: PlatformId, pattern: string): Layout | undefined {
  switch (platform) {
    case "github":
      return githubLayout(pattern);
    case "gitlab":
      return gitlabLayout(pattern);
    case "tfc":
      return keyValueLayout(pattern, TFC_SPECS, ":", { allowLeadingWildcard: false });
    case "buildkite":
      return keyValueLayout(pattern, BUILDKITE_SPECS, ":", { allowLeadingWildcard: false });
    case "spacelift":
      return keyValueLayout(pattern, SPACELIFT_SPECS, ":", { allowLeadingWildcard: true });
    case "circleci":
      return keyValueLayout(pattern, CIRCLECI_SPECS, "/", { allowLeadingWildcard: false });
    case "keyless":
      return keyValueLayout(pattern, KEYLESS_SPECS, ":", { allowLeadingWildcard: false });
    case "kubernetes":
      return irsaLayout(pattern);
    case "env0":
      return env0Layout(pattern);
    case "bitbucket":
      return bitbucketLayout(pattern);
    case "generic":
      return undefined;
  }
}

/** Subjects of every shape, for issuers without a grammar: a statement admitting all of them admits
 * every subject (OIDC-003). */
export const GENERIC_UNIVERSAL = [
  "zz-attacker-subject",
  "repo:zz-attacker/zz:pull_request",
  "system:serviceaccount:zz:zz",
];
