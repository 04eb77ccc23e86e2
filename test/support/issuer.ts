import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { OPERATOR } from "../../src/issuer/authz.js";
import { kekFromBytes } from "../../src/issuer/kek.js";
import { kyselyIssuerRepository } from "../../src/issuer/kysely-repository.js";
import type { Environment, Organization, Project } from "../../src/issuer/model.js";
import {
  type CreatedRun,
  IssuerService,
  type OrganizationInput,
  type RunInput,
} from "../../src/issuer/service.js";
import { type Clock, manualClock } from "../../src/lib/clock.js";
import { cryptoIds, type IdGenerator } from "../../src/lib/ids.js";
import { buildIssuerApp } from "../../src/server/issuer-app.js";
import { SERVE_MIGRATIONS, type ServeTables } from "../../src/server/serve.js";
import { type Database, openDatabase } from "../../src/store/database.js";

/** An issuer app on an in-memory store with a manual clock, driven through fastify's inject (real HTTP semantics, no socket). */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of JSON answers.
export type Json = any;

export interface TestIssuer {
  readonly app: FastifyInstance;
  readonly service: IssuerService;
  readonly database: Database<ServeTables>;
  readonly clock: Clock & { advance(ms: number): void; set(ms: number): void };
  readonly adminKey: string;
  call(
    method: string,
    url: string,
    key?: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json; type: string }>;
  /** Every row of every issuer table, for "nothing stored changed" assertions. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

export async function testIssuer(
  options: { algorithm?: "RS256" | "ES256"; database?: string; ids?: IdGenerator } = {},
): Promise<TestIssuer> {
  const clock = manualClock(Date.UTC(2026, 10, 22, 12));
  const database = await openDatabase<ServeTables>(options.database ?? ":memory:", SERVE_MIGRATIONS);
  const service = new IssuerService(
    kyselyIssuerRepository(database.db),
    kekFromBytes(Buffer.alloc(32, 7)),
    clock,
    options.ids ?? cryptoIds,
    {
      issuerUrl: "https://id.example.com",
      publicUrl: "http://127.0.0.1:1",
      signingAlgorithm: options.algorithm ?? "RS256",
      keyPolicy: { overlapMs: 24 * 3600_000, rotationIntervalMs: 30 * 24 * 3600_000 },
      maxTokenLifetimeSeconds: 86400,
      keyCacheMs: 0,
    },
  );
  await service.signingKeys.maintainKeys();
  const admin = await service.apiKeys.bootstrapAdminKey();
  const app = await buildIssuerApp({ service });
  const call: TestIssuer["call"] = async (method, url, key, body) => {
    const res = await app.inject({
      method: method as "GET",
      url,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return {
      status: res.statusCode,
      json: res.body ? JSON.parse(res.body) : undefined,
      type: String(res.headers["content-type"] ?? ""),
    };
  };
  const snapshot = async () => {
    const tables = [
      "issuer_organizations",
      "issuer_projects",
      "issuer_environments",
      "issuer_runs",
      "issuer_api_keys",
      "issuer_signing_keys",
      "issuer_audit",
    ];
    const out: Record<string, unknown> = {};
    for (const t of tables) {
      out[t] = (await sql`select * from ${sql.table(t)} order by 1`.execute(database.db)).rows;
    }
    return JSON.stringify(out);
  };
  return {
    app,
    service,
    database,
    clock,
    adminKey: admin!.secret,
    call,
    snapshot,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/** Ids from a queue first (to reproduce ids a seed's trust policy names), then random. */
export function queuedIds(): IdGenerator & { queue: string[] } {
  const queue: string[] = [];
  return {
    queue,
    uuid: () => queue.shift() ?? cryptoIds.uuid(),
    timeOrderedUuid: (msecs) => queue.shift() ?? cryptoIds.timeOrderedUuid(msecs),
    bytes: (n) => cryptoIds.bytes(n),
  };
}

/**
 * The tenancy most issuer tests start from, created as the operator: organization `acme` (audience
 * sts.amazonaws.com), project `infra`, environment `prod`, and an `apply` run by `alice` with a one-week
 * timeout (so clock jumps across rotations keep its request token alive). `organization` and `run` override
 * those fields.
 */
export async function acmeRun(
  service: IssuerService,
  options: { organization?: Partial<OrganizationInput>; run?: Partial<RunInput> } = {},
): Promise<{ org: Organization; project: Project; env: Environment; run: CreatedRun }> {
  const org = await service.tenancy.createOrganization(OPERATOR, {
    name: "acme",
    allowedAudiences: ["sts.amazonaws.com"],
    ...options.organization,
  });
  const project = await service.tenancy.createProject(OPERATOR, org.id, { name: "infra" });
  const env = await service.tenancy.createEnvironment(OPERATOR, org.id, project.id, { name: "prod" });
  const run = await service.runs.createRun(OPERATOR, org.id, {
    environmentId: env.id,
    phase: "apply",
    deployer: "alice",
    timeoutSeconds: 7 * 24 * 3600,
    ...options.run,
  });
  return { org, project, env, run };
}
