import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Clock } from "../lib/clock.js";
import type { IdGenerator } from "../lib/ids.js";
import { type Database, openDatabase } from "../store/database.js";
import { DatabaseUnavailableError } from "../store/unavailable.js";
import { authorizeService } from "./authz/authorize-service.js";
import { Authorizer } from "./authz/authorizer.js";
import { DecisionLog } from "./authz/decision-log.js";
import type { DecisionEvent } from "./authz/events.js";
import { iamRequest } from "./authz/iam-requests.js";
import type { Caller } from "./credentials/caller.js";
import { createSecretResolver, DEFAULT_STATIC_SECRET } from "./credentials/credentials.js";
import { loadOrCreateKey } from "./credentials/key-file.js";
import { SessionSealer } from "./credentials/session-token.js";
import { awsManagedPolicies } from "./iam/aws-managed-data.js";
import { CachedIamRepository } from "./iam/cached-repository.js";
import { iamService } from "./iam/handlers.js";
import { iamMigrations } from "./iam/migrations.js";
import { IamModel } from "./iam/model.js";
import { PolicyModel } from "./iam/policy-model.js";
import { KyselyPolicyRepository } from "./iam/policy-repository.js";
import { KyselyIamRepository } from "./iam/repository.js";
import { RolePolicyModel } from "./iam/role-policies.js";
import type { IamTables } from "./iam/tables.js";
import { enginePolicies, PolicyCache } from "./policies.js";
import { stsService } from "./sts/handlers.js";
import { createIdpKeySource } from "./sts/idp-keys.js";
import { StsModel } from "./sts/model.js";
import { createQueryEndpoint, type QueryEndpoint, type WireRequest } from "./wire/endpoint.js";
import { AwsError } from "./wire/errors.js";
import { verifySigV4 } from "./wire/sigv4.js";
import { renderError } from "./wire/xml.js";

export interface EmulatorOptions {
  readonly dataDir: string;
  /** Database URL; default: SQLite at `<dataDir>/emulator.db`. */
  readonly database?: string;
  /** PEM files of CAs trusted for identity providers' HTTPS, besides the system store. */
  readonly trustCaFiles?: readonly string[];
  /** Host → `https://127.0.0.1:PORT`: where to fetch that issuer's discovery and JWKS from. */
  readonly issuerAliases?: ReadonlyMap<string, string>;
  /** Secret access key of the static test credentials (access key id = the account id). */
  readonly staticSecret?: string;
  /** The sealing key as configured (KEYLESS_EMULATOR_SEALING_KEY, base64 of 32 bytes); default: the data dir's key file. */
  readonly sealingKey?: string;
  /** The account whose root the access key id `test` acts as (`--account`); default 123456789012. */
  readonly defaultAccount?: string;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Test setting: issued credentials expire after at most this many seconds. */
  readonly testMaxSessionSeconds?: number;
  readonly onInternalError?: (error: unknown, requestId: string) => void;
  /** Told every request's outcome (metrics): see `QueryEndpointOptions.onOutcome`. */
  readonly onOutcome?: (action: string | undefined, code: string | undefined, status: number) => void;
  /** Keep the decision log under `<dataDir>/events/` (default true). */
  readonly decisionLog?: boolean;
  /** Told every decision-log event as it is recorded (`keyless dev` prints the refusals). */
  readonly onDecision?: (event: DecisionEvent) => void;
}

export interface Emulator {
  /** The transport-independent endpoint: one request in, one response out; never throws. */
  readonly handle: QueryEndpoint;
  /** The same as a node:http request listener (also usable under Fastify with `reply.hijack()`). */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

/** Bodies above this are refused before parsing (tokens ≤ 20000, policies ≤ 131072 characters). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Builds the IAM + STS emulator on a data dir: store, sealing key, key source, models and wire. */
export async function createEmulator(options: EmulatorOptions): Promise<Emulator> {
  const database: Database<IamTables> = await openDatabase<IamTables>(
    options.database ?? join(options.dataDir, "emulator.db"),
    iamMigrations,
  );
  const key = loadOrCreateKey(options.dataDir, options.ids, options.sealingKey);
  const sealer = new SessionSealer(key, options.ids);
  const repo = new CachedIamRepository(
    new KyselyIamRepository(database.db),
    options.clock,
    database.changeCounter,
  );
  const iam = new IamModel(repo, enginePolicies, options.clock, options.ids);
  const policyRepo = new KyselyPolicyRepository(database.db);
  const policies = new PolicyModel(
    repo,
    policyRepo,
    awsManagedPolicies(),
    enginePolicies,
    options.clock,
    options.ids,
  );
  const rolePolicies = new RolePolicyModel(iam, repo, policyRepo, policies);
  const keys = createIdpKeySource({
    trustedCas: (options.trustCaFiles ?? []).map((f) => readFileSync(f, "utf8")),
    aliases: options.issuerAliases ?? new Map(),
    clock: options.clock,
  });
  const log =
    options.decisionLog === false
      ? undefined
      : new DecisionLog({
          dataDir: options.dataDir,
          clock: options.clock,
          ids: options.ids,
          ...(options.onDecision ? { onEvent: options.onDecision } : {}),
        });
  const onCall = log?.record;
  const authorizer = new Authorizer(repo, rolePolicies, policies, enginePolicies.identity, options.clock);
  const sts = new StsModel(
    iam,
    repo,
    keys,
    new PolicyCache(enginePolicies.trust),
    sealer,
    options.clock,
    options.ids,
    options.testMaxSessionSeconds,
    authorizer,
  );
  const resolve = createSecretResolver({
    sealer,
    staticSecret: options.staticSecret ?? DEFAULT_STATIC_SECRET,
    ...(options.defaultAccount !== undefined ? { defaultAccount: options.defaultAccount } : {}),
  });
  const handle = createQueryEndpoint<Caller>({
    services: [
      // GetCallerIdentity needs no permission, and AssumeRole authorizes inside (trust and caller policies).
      authorizeService(stsService(sts), "sts", undefined, () => undefined, onCall),
      authorizeService(
        iamService(iam, policies, rolePolicies),
        "iam",
        authorizer,
        (action, params, account) => iamRequest(action, params, account, repo),
        onCall,
      ),
    ],
    authenticate: (request, service) => verifySigV4(request, service.signingName, resolve, options.clock),
    newRequestId: () => options.ids.uuid(),
    classifyError: storeOutage,
    ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
    ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
  });
  return {
    handle,
    listener: nodeListener(handle, options.ids),
    close: async () => {
      log?.close();
      await database.close();
    },
  };
}

/**
 * The store unavailable for now (a PostgreSQL restart) is answered as AWS answers a temporary failure of
 * its own: `ServiceUnavailable`, 503, which the AWS SDKs and CLI retry
 * (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html,
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
export function storeOutage(error: unknown): AwsError | undefined {
  if (!(error instanceof DatabaseUnavailableError)) return undefined;
  return new AwsError(
    "ServiceUnavailable",
    "The request has failed due to a temporary failure of the server.",
  );
}

/** Adapts the endpoint to node:http: collects the body (bounded), answers, never leaves a request hanging. */
export function nodeListener(
  handle: QueryEndpoint,
  ids: IdGenerator,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const send = (status: number, headers: Record<string, string>, body: string) => {
      if (res.headersSent) return;
      res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        const requestId = ids.uuid();
        const error = new AwsError(
          "RequestEntityTooLarge",
          `Request body must be ${MAX_BODY_BYTES} bytes or less.`,
        );
        send(
          error.status,
          { "content-type": "text/xml", "x-amzn-requestid": requestId, connection: "close" },
          renderError("https://sts.amazonaws.com/doc/2011-06-15/", error, requestId),
        );
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (refused) return;
      const request: WireRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
        // A TLSSocket says so (https.Server, Fastify over HTTPS); a plain socket has no `encrypted`.
        ...((req.socket as { encrypted?: boolean }).encrypted === true ? { secure: true } : {}),
      };
      void handle(request).then((r) => send(r.status, r.headers, r.body));
    });
    req.on("error", () => res.destroy());
  };
}
