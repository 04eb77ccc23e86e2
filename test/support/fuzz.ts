import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { createEmulator } from "../../src/aws/emulator.js";
import { cryptoIds } from "../../src/lib/ids.js";
import { buildIssuerApp, registeredAdminRoutes } from "../../src/server/issuer-app.js";
import { mountEmulator } from "../../src/server/mount-emulator.js";
import { acmeRun, type TestIssuer, testIssuer } from "./issuer.js";

/**
 * HTTP fuzzing of the three surfaces a client reaches (issue 14, §5): the AWS emulator's Query protocol,
 * the admin API and the token endpoint, all on one in-process `keyless serve --aws-emulator` app driven
 * through Fastify's inject (real HTTP parsing, routing, hooks and serialization; no socket). Each property
 * sends one random request and checks the answer's contract: never a 5xx (except the documented 503s),
 * errors in the protocol's own shape, no stack trace. Shared by the test suite (few runs) and
 * bench/fuzz.ts (many).
 */
export interface FuzzTarget {
  readonly app: FastifyInstance;
  readonly issuer: TestIssuer;
  readonly adminKey: string;
  readonly orgId: string;
  readonly runId: string;
  /** Real ids by the admin routes' parameter names (`org`, `project`, `env`, `run`, `key`, `kid`). */
  readonly ids: Readonly<Record<string, string>>;
  readonly requestToken: string;
  /** Admin routes as registered (`POST /api/v1/organizations/:org/…`). */
  readonly adminRoutes: readonly { readonly method: string; readonly url: string }[];
  /** Requests sent so far, and how many got each status. */
  requests: number;
  readonly statuses: Map<number, number>;
  /** How many answers carried each error code (AWS `<Code>`, problem `type`). */
  readonly codes: Map<string, number>;
  close(): Promise<void>;
}

export async function fuzzTarget(dataDir: string): Promise<FuzzTarget> {
  const issuer = await testIssuer();
  const app = await buildIssuerApp({ service: issuer.service });
  const emulator = await createEmulator({ dataDir, clock: issuer.clock, ids: cryptoIds });
  await mountEmulator(app, emulator);
  const { org, project, env, run } = await acmeRun(issuer.service);
  const kid = String((await issuer.service.signingKeys.jwks()).keys[0]?.kid ?? "none");
  const requestToken = run.requestToken;
  const target: FuzzTarget = {
    app,
    issuer,
    adminKey: issuer.adminKey,
    orgId: org.id,
    runId: run.run.id,
    ids: { org: org.id, project: project.id, env: env.id, run: run.run.id, key: "none", kid },
    requestToken,
    adminRoutes: registeredAdminRoutes(issuer.app),
    requests: 0,
    statuses: new Map(),
    codes: new Map(),
    close: async () => {
      await app.close();
      await issuer.close();
    },
  };
  return target;
}

/** What an answer looked like, for the checks and for the failure message. */
export interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly method: string;
}

// Stack frames (`    at f (file:///…/x.js:1:2)`), node internals, or paths of the shipped code.
const STACK = /\n\s+at \S|\(\S*:\d+:\d+\)|node:internal|\/(?:src|dist)\/\S+\.(?:ts|js)\b/;

/** The RFC 9457 problem contract of the issuer; a violation as a sentence, or undefined. */
export function problemViolation(a: Answer): string | undefined {
  if (STACK.test(a.body)) return `stack trace or source path in the body`;
  if (a.status >= 500 && a.status !== 503) return `status ${a.status}`;
  if (a.status < 400 || a.method === "HEAD") return undefined;
  if (!a.type.startsWith("application/problem+json")) return `error with content-type ${a.type}`;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(a.body);
  } catch {
    return "error body is not JSON";
  }
  if (typeof doc.type !== "string" || typeof doc.title !== "string" || doc.status !== a.status) {
    return "error body is not a problem document (type, title, status)";
  }
  return undefined;
}

const AWS_ERROR =
  /^<ErrorResponse xmlns="[^"]+"><Error><Type>(?:Sender|Receiver)<\/Type><Code>[^<]+<\/Code><Message>[^<]*<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/;

/** The AWS Query protocol's error contract (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html). */
export function awsViolation(a: Answer): string | undefined {
  if (STACK.test(a.body)) return `stack trace or source path in the body`;
  if (a.status >= 500 && !(a.status === 503 && /<Code>ServiceUnavailable</.test(a.body))) {
    return `status ${a.status}`;
  }
  if (a.status < 400) return undefined;
  if (!a.type.includes("xml")) return `error with content-type ${a.type}`;
  if (!AWS_ERROR.test(a.body)) return "error body is not an AWS XML error envelope";
  return undefined;
}

async function send(
  t: FuzzTarget,
  req: { method: string; url: string; headers: Record<string, string>; payload?: string | Buffer },
): Promise<Answer> {
  t.requests++;
  // Only what an HTTP/1.1 client can put on the wire (RFC 9110 §5.5: field values are visible ASCII,
  // space, tab and obs-text); node:http refuses the rest before a server sees it.
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?")]),
  );
  const res = await t.app.inject({
    method: req.method as "GET",
    url: req.url,
    headers,
    ...(req.payload !== undefined ? { payload: req.payload } : {}),
  });
  t.statuses.set(res.statusCode, (t.statuses.get(res.statusCode) ?? 0) + 1);
  const code = /<Code>([^<]*)<\/Code>|"type":"https:\/\/keyless\.dev\/problems\/([^"]*)"/.exec(res.body);
  const name = code?.[1] ?? code?.[2];
  if (name !== undefined) t.codes.set(name, (t.codes.get(name) ?? 0) + 1);
  return {
    status: res.statusCode,
    type: String(res.headers["content-type"] ?? ""),
    body: res.body,
    method: req.method,
  };
}

/** Fails the property (so fast-check shrinks and prints the seed) with the request and the answer. */
function verdict(violation: string | undefined, request: unknown, a: Answer, found?: string[]): boolean {
  if (!violation) return true;
  const text = `${violation}: ${JSON.stringify(request).slice(0, 2000)} -> ${a.status} ${a.body.slice(0, 500)}`;
  if (found) {
    found.push(text);
    return true;
  }
  throw new Error(text);
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries shared by the three surfaces.

const weird = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "%",
    "%zz",
    "%00",
    "\u0000",
    "null",
    "-1",
    "1e400",
    "99999999999999999999",
    "__proto__",
  ),
  fc.json({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 200 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  fc.integer({ min: 1, max: 3000 }).map((n) => "a".repeat(n)),
);

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
/** JWT-shaped strings: random headers and claims, some signatures, and plain garbage. */
const jwtish = fc.oneof(
  weird,
  fc
    .tuple(
      fc.record(
        { alg: fc.constantFrom("RS256", "ES256", "none", "HS256", "x"), kid: fc.string({ maxLength: 8 }) },
        {
          requiredKeys: [],
        },
      ),
      fc.record(
        {
          iss: fc.constantFrom("https://id.example.com", "https://idp.example.com", "x"),
          sub: fc.string({ maxLength: 10 }),
          aud: fc.oneof(
            fc.string({ maxLength: 10 }),
            fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
          ),
          exp: fc.oneof(fc.integer(), fc.string()),
          iat: fc.integer(),
        },
        { requiredKeys: [] },
      ),
      fc.string({ maxLength: 20 }),
    )
    .map(([h, p, s]) => `${b64(h)}.${b64(p)}.${Buffer.from(s).toString("base64url")}`),
);

// ---------------------------------------------------------------------------------------------------
// (1) The emulator: AWS Query protocol requests (POST / form bodies, GET /?Action=…).

const ACTIONS = [
  "AssumeRoleWithWebIdentity",
  "AssumeRole",
  "GetCallerIdentity",
  "CreateRole",
  "GetRole",
  "UpdateRole",
  "DeleteRole",
  "ListRoles",
  "UpdateAssumeRolePolicy",
  "PutRolePolicy",
  "GetRolePolicy",
  "DeleteRolePolicy",
  "ListRolePolicies",
  "TagRole",
  "UntagRole",
  "ListRoleTags",
  "GetUser",
  "CreateOpenIDConnectProvider",
  "GetOpenIDConnectProvider",
  "ListOpenIDConnectProviders",
  "AddClientIDToOpenIDConnectProvider",
  "UpdateOpenIDConnectProviderThumbprint",
  "TagOpenIDConnectProvider",
  "DeleteOpenIDConnectProvider",
  "GetSessionToken",
];
const STS_ACTIONS = new Set([
  "AssumeRoleWithWebIdentity",
  "AssumeRole",
  "GetCallerIdentity",
  "GetSessionToken",
]);
const PARAMS = [
  "RoleArn",
  "RoleSessionName",
  "WebIdentityToken",
  "DurationSeconds",
  "Policy",
  "PolicyArns.member.1.arn",
  "RoleName",
  "AssumeRolePolicyDocument",
  "PolicyDocument",
  "PolicyName",
  "PolicyArn",
  "Url",
  "ThumbprintList.member.1",
  "ClientIDList.member.1",
  "Tags.member.1.Key",
  "Tags.member.1.Value",
  "MaxItems",
  "Marker",
  "Path",
  "ExternalId",
  "SerialNumber",
  "OpenIDConnectProviderArn",
];

const policyish = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc
    .record({
      Version: fc.constantFrom("2012-10-17", "2008-10-17", "x"),
      Statement: fc.array(
        fc.record(
          {
            Effect: fc.constantFrom("Allow", "Deny", "x"),
            Action: fc.oneof(fc.constantFrom("sts:*", "*", "sts:AssumeRoleWithWebIdentity"), fc.anything()),
            Principal: fc.oneof(fc.constant("*"), fc.anything()),
            Resource: fc.anything(),
            Condition: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    })
    .map((p) => JSON.stringify(p)),
  fc.integer({ min: 1, max: 6000 }).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`),
);

const paramValue = fc.oneof(
  weird,
  jwtish,
  policyish,
  fc.constantFrom(
    "2011-06-15",
    "2010-05-08",
    "arn:aws:iam::123456789012:role/r",
    "arn:aws:iam::123456789012:oidc-provider/id.example.com",
    "https://id.example.com",
    "3600",
    "0",
  ),
);

const emulatorRequest = fc.record({
  action: fc.option(
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...ACTIONS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    ),
    { nil: undefined, freq: 10 },
  ),
  params: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), weird), paramValue), { maxLength: 6 }),
  transport: fc.oneof(
    { weight: 6, arbitrary: fc.constant("form" as const) },
    { weight: 2, arbitrary: fc.constant("query" as const) },
    { weight: 1, arbitrary: fc.constant("raw" as const) },
  ),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant("application/x-www-form-urlencoded") },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded; charset=latin1",
        "application/json",
        "text/plain",
        "",
      ),
    },
  ),
  raw: fc.oneof(
    weird,
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString("latin1")),
  ),
  // Absent most of the time: the emulator then routes by the action (the AWS CLI always sends it).
  version: fc.constantFrom(
    undefined,
    undefined,
    undefined,
    "auto",
    "auto",
    "auto",
    "2011-06-15",
    "2010-05-08",
    "x",
  ),
  auth: fc.constantFrom("none", "sigv4", "sigv4", "sigv4", "garbage", "stale"),
  service: fc.constantFrom("auto", "auto", "auto", "sts", "iam", "s3"),
  garbageAuth: fc.oneof(
    weird,
    weird.map((s) => `AWS4-HMAC-SHA256 Credential=${s}, SignedHeaders=host, Signature=${s}`),
    fc.constantFrom(
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/sts/aws4_request",
    ),
  ),
  amzDate: fc.option(weird, { nil: undefined }),
});

async function sign(
  t: FuzzTarget,
  method: string,
  path: string,
  query: Record<string, string>,
  headers: Record<string, string>,
  body: string,
  service: string,
  skewMs: number,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    region: "us-east-1",
    service,
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(
    { method, protocol: "http:", hostname: "localhost", path, query, headers, body },
    { signingDate: new Date(t.issuer.clock() + skewMs) },
  );
  return signed.headers as Record<string, string>;
}

/** One random Query-protocol request to the emulator; its answer must keep AWS's contract. */
export function emulatorProperty(t: FuzzTarget, found?: string[]) {
  return fc.asyncProperty(emulatorRequest, async (r) => {
    const sts = r.action !== undefined && STS_ACTIONS.has(r.action);
    const version = r.version === "auto" ? (sts ? "2011-06-15" : "2010-05-08") : r.version;
    const service = r.service === "auto" ? (sts ? "sts" : "iam") : r.service;
    const pairs: [string, string][] = [
      ...(r.action !== undefined ? [["Action", r.action] as [string, string]] : []),
      ...(version !== undefined ? [["Version", version] as [string, string]] : []),
      ...r.params,
    ];
    const form = new URLSearchParams(pairs).toString();
    const method = r.transport === "query" ? "GET" : "POST";
    const query = r.transport === "query" ? Object.fromEntries(pairs) : {};
    const url = r.transport === "query" ? `/?${form.includes("Action=") ? form : `Action=&${form}`}` : "/";
    const body = r.transport === "form" ? form : r.transport === "raw" ? r.raw : "";
    let headers: Record<string, string> = { host: "localhost" };
    if (method === "POST" && r.contentType) headers["content-type"] = r.contentType;
    if (r.amzDate !== undefined) headers["x-amz-date"] = r.amzDate;
    if (r.auth === "sigv4" || r.auth === "stale") {
      try {
        headers = await sign(
          t,
          method,
          "/",
          query,
          headers,
          body,
          service,
          r.auth === "stale" ? -3600_000 : 0,
        );
      } catch {
        // The signer refused the input (e.g. a malformed x-amz-date): send it unsigned.
      }
    } else if (r.auth === "garbage") {
      headers.authorization = r.garbageAuth;
    }
    const request = { method, url, headers, payload: body };
    const a = await send(t, request);
    return verdict(awsViolation(a), request, a, found);
  });
}

// ---------------------------------------------------------------------------------------------------
// (2) The admin API: random methods, paths (registered patterns filled with real or random ids, and
// random paths), JSON bodies and headers, with and without a valid admin key.

const segment = fc.oneof(
  weird.map((s) => encodeURIComponent(s)),
  fc.constantFrom("..", "%2e%2e", "%00", "%zz", "%", "x".repeat(300)),
);

const adminRequest = fc.record({
  method: fc.oneof(
    { weight: 3, arbitrary: fc.constant("route") },
    { weight: 2, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "HEAD") },
  ),
  pattern: fc.nat(),
  fillReal: fc.array(fc.constantFrom(true, true, true, false), { minLength: 8, maxLength: 8 }),
  fills: fc.array(segment, { minLength: 8, maxLength: 8 }),
  randomPath: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((s) => `/api/v1/${s.join("/")}`) },
  ),
  query: fc.option(fc.array(fc.tuple(weird, weird), { maxLength: 3 }), { nil: undefined, freq: 1 }),
  auth: fc.constantFrom("admin", "admin", "none", "garbage", "lower"),
  garbageAuth: fc.oneof(
    weird,
    weird.map((s) => `Bearer ${s}`),
    jwtish.map((s) => `Bearer ${s}`),
  ),
  body: fc.option(
    fc.oneof(
      // Plausible bodies (valid names, a real environment id filled in below), so creations get past
      // validation into the services.
      fc
        .record(
          {
            name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
            allowedAudiences: fc.array(fc.constantFrom("sts.amazonaws.com", "vault", "x"), { maxLength: 2 }),
            scope: fc.oneof(
              fc.constant({ kind: "org_admin" }),
              fc.constant({ kind: "runner", projectId: "$project" }),
            ),
            environmentId: fc.constant("$env"),
            phase: fc.constantFrom("apply", "plan", "Apply"),
            deployer: fc.constantFrom("alice", ""),
            timeoutSeconds: fc.integer({ min: -1, max: 200000 }),
          },
          { requiredKeys: ["name"] },
        )
        .map((o) => JSON.stringify(o)),
      fc.json({ maxDepth: 4 }),
      fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
      weird,
      fc
        .record(
          {
            name: weird,
            allowedAudiences: fc.anything(),
            scope: fc.anything(),
            environmentId: weird,
            phase: weird,
            deployer: weird,
            attributes: fc.anything(),
            timeoutSeconds: fc.anything(),
            claims: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    ),
    { nil: undefined },
  ),
  contentType: fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
  ),
});

/** One random admin API request; its answer must be a success or an RFC 9457 problem, never a 5xx. */
export function adminProperty(t: FuzzTarget, found?: string[]) {
  return fc.asyncProperty(adminRequest, async (r) => {
    const route = t.adminRoutes[r.pattern % t.adminRoutes.length];
    const method = r.method === "route" ? (route?.method ?? "GET") : r.method;
    let path = r.randomPath;
    if (path === undefined) {
      let i = 0;
      path = (route?.url ?? "/api/v1/organizations").replace(/:(\w+)/g, (_m, name: string) => {
        const k = i++;
        if (!r.fillReal[k]) return r.fills[k] ?? "x";
        return t.ids[name] ?? r.fills[k] ?? "x";
      });
    }
    const url = r.query ? `${path}?${new URLSearchParams(r.query).toString()}` : path;
    const headers: Record<string, string> = {};
    if (r.auth === "admin") headers.authorization = `Bearer ${t.adminKey}`;
    if (r.auth === "lower") headers.authorization = `bearer   ${t.adminKey}  `;
    if (r.auth === "garbage") headers.authorization = r.garbageAuth;
    const hasBody = r.body !== undefined && method !== "GET" && method !== "HEAD";
    if (hasBody && r.contentType) headers["content-type"] = r.contentType;
    const payload = r.body?.replaceAll("$project", t.ids.project ?? "").replaceAll("$env", t.ids.env ?? "");
    const request = { method, url, headers, ...(hasBody ? { payload } : {}) };
    const a = await send(t, request);
    // Dot segments (`..`, `%2e%2e`) resolve as in any WHATWG URL client; `POST /` and `GET /?Action=` are
    // the emulator's routes (serve --aws-emulator), whose contract is AWS's.
    const landed = new URL(url, "http://localhost");
    const aws =
      landed.pathname === "/" &&
      (method === "POST" || (method === "GET" && landed.searchParams.has("Action")));
    const check = aws ? awsViolation : problemViolation;
    return verdict(check(a), request, a, found);
  });
}

// ---------------------------------------------------------------------------------------------------
// (3) The token endpoint (GitHub Actions' protocol): random query strings, audiences, bearer tokens.

const tokenRequest = fc.record({
  run: fc.oneof(fc.constant("real"), segment),
  apiVersion: fc.option(fc.oneof(fc.constant("1"), fc.constant("2.0"), weird), { nil: undefined }),
  audiences: fc.array(fc.oneof(fc.constantFrom("sts.amazonaws.com", "vault", ""), weird), { maxLength: 3 }),
  extra: fc.array(
    fc.tuple(fc.oneof(fc.constantFrom("lifetime", "token", "audience", "api-version"), weird), weird),
    {
      maxLength: 3,
    },
  ),
  bearer: fc.constantFrom("real", "real", "none", "garbage", "admin", "query"),
  garbage: fc.oneof(
    weird,
    jwtish,
    weird.map((s) => `Bearer ${s}`),
    fc.constant("Bearer klr_x"),
  ),
  method: fc.constantFrom("GET", "GET", "GET", "POST", "HEAD"),
});

/** One random token request; a token (200) or an RFC 9457 problem, never a 5xx. */
export function tokenProperty(t: FuzzTarget, found?: string[]) {
  return fc.asyncProperty(tokenRequest, async (r) => {
    const run = r.run === "real" ? t.runId : r.run;
    const q = new URLSearchParams();
    if (r.apiVersion !== undefined) q.append("api-version", r.apiVersion);
    for (const a of r.audiences) q.append("audience", a);
    for (const [k, v] of r.extra) q.append(k, v);
    if (r.bearer === "query") q.append("token", t.requestToken);
    const headers: Record<string, string> = {};
    if (r.bearer === "real") headers.authorization = `Bearer ${t.requestToken}`;
    if (r.bearer === "admin") headers.authorization = `Bearer ${t.adminKey}`;
    if (r.bearer === "garbage")
      headers.authorization = r.garbage.startsWith("Bearer ") ? r.garbage : `Bearer ${r.garbage}`;
    const request = { method: r.method, url: `/runs/${run}/token?${q.toString()}`, headers };
    const a = await send(t, request);
    return verdict(problemViolation(a), request, a, found);
  });
}

// biome-ignore lint/suspicious/noExplicitAny: each property has its own request shape.
type AnyProperty = fc.IAsyncPropertyWithHooks<[any]>;

/** The three properties by name (typed loosely so callers can iterate over them). */
export const FUZZ_PROPERTIES: Record<
  "emulator" | "admin" | "token",
  (t: FuzzTarget, found?: string[]) => AnyProperty
> = {
  emulator: emulatorProperty,
  admin: adminProperty,
  token: tokenProperty,
} as const;

/** A SigV4-signed `GetCallerIdentity` POST as the fuzzer signs them (to prove signing reaches the actions). */
export async function signedGetCallerIdentity(t: FuzzTarget): Promise<Answer> {
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  const headers = await sign(
    t,
    "POST",
    "/",
    {},
    { host: "localhost", "content-type": "application/x-www-form-urlencoded" },
    body,
    "sts",
    0,
  );
  return send(t, { method: "POST", url: "/", headers, payload: body });
}
