/**
 * The ceilings for bench:issuer, as bare Fastify apps (same Fastify, no logger, no hooks) with `WORKERS`
 * node:cluster workers answering `GET /runs/:run/token` the way the token endpoint is shaped: a bearer
 * header is required (401 without one), the answer is a small JSON object with `no-store`.
 * - `empty`: nothing else. No store, no claims, no signing: what the framework allows on these cores.
 * - `floor-ES256` / `floor-RS256`: what the guarantees cost at the least, on top: each request
 *   signs a token-sized JWS with node:crypto and gets one row in the issuer's audit table (the real
 *   schema, in a SQLite file shared by the workers, WAL, SQLite's default durability, as `serve` opens it)
 *   before its answer, rows group-committed once per event-loop turn with one prepared multi-row insert.
 *   No request-token lookup, no claims rendering, no metrics: what `keyless serve` could at best reach
 *   with every mint signed and audited.
 *
 *   node dist/bench/support/empty-route.js PORT WORKERS [empty|floor-ES256|floor-RS256] [SQLITE_FILE]
 *   (prints "listening on PORT" once every worker is up)
 */
import cluster from "node:cluster";
import { generateKeyPairSync, sign } from "node:crypto";
import SQLite from "better-sqlite3";
import Fastify from "fastify";
import { v7 } from "uuid";
import { issuerMigrations } from "../../src/issuer/migrations.js";
import { openDatabase } from "../../src/store/database.js";
import { runClusterPrimary } from "./cluster-primary.js";

const port = Number(process.argv[2] ?? 0);
const workers = Number(process.argv[3] ?? 2);
const mode = process.argv[4] ?? "empty";
const file = process.argv[5] ?? "";

if (cluster.isPrimary) {
  if (mode !== "empty") await (await openDatabase(`sqlite:${file}`, issuerMigrations)).close();
  runClusterPrimary(port, workers);
} else {
  const signed = mode === "empty" ? undefined : floorSigner(mode === "floor-RS256" ? "RS256" : "ES256");
  const audit = mode === "empty" ? undefined : floorAudit(file);
  const app = Fastify({ logger: false });
  app.get<{ Params: { run: string } }>("/runs/:run/token", async (req, reply) => {
    const h = req.headers.authorization;
    if (!h || !/^bearer\s+\S+\s*$/i.test(h)) return reply.code(401).send({ error: "unauthorized" });
    reply.header("cache-control", "no-store");
    if (!signed || !audit) return { value: req.params.run };
    const at = Date.now();
    const jti = v7({ msecs: at });
    const value = signed(jti, at);
    await audit(jti, at, req.params.run);
    return { value };
  });
  await app.listen({ host: "127.0.0.1", port });
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}

/** A JWS of a typical keyless token's size (about 700 characters of header and claims) per call. */
function floorSigner(alg: "ES256" | "RS256"): (jti: string, at: number) => string {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const header = Buffer.from(JSON.stringify({ alg, kid: "k".repeat(43), typ: "JWT" })).toString("base64url");
  const filler = "x".repeat(400);
  return (jti, at) => {
    const iat = Math.floor(at / 1000);
    const claims = { jti, iat, nbf: iat, exp: iat + 300, sub: "repo:org/repo:ref:refs/heads/main", filler };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    const key = alg === "ES256" ? { key: privateKey, dsaEncoding: "ieee-p1363" as const } : privateKey;
    return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
  };
}

/** One audit row per call, resolved once its group commit (one insert per event-loop turn) is done. */
function floorAudit(path: string): (jti: string, at: number, run: string) => Promise<void> {
  const db = new SQLite(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  const statements = new Map<number, SQLite.Statement>();
  const insert = (rows: number) => {
    let s = statements.get(rows);
    if (!s) {
      const values = Array(rows).fill("(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
      s = db.prepare(
        `insert into issuer_audit (id, at, actor, action, organization_id, target, kid, token_exp, details) values ${values}`,
      );
      statements.set(rows, s);
    }
    return s;
  };
  const pending: { params: unknown[]; done: () => void; fail: (e: unknown) => void }[] = [];
  const flush = () => {
    const batch = pending.splice(0, 500);
    try {
      insert(batch.length).run(batch.flatMap((p) => p.params));
      for (const p of batch) p.done();
    } catch (e) {
      // Counted by the bench as non-2xx answers (Fastify answers 500).
      for (const p of batch) p.fail(e);
    }
    if (pending.length > 0) setImmediate(flush);
  };
  return (jti, at, run) =>
    new Promise((done, fail) => {
      const exp = Math.floor(at / 1000) + 300;
      const sub = "repo:org/repo:ref:refs/heads/main";
      const iat = exp - 300;
      const details = JSON.stringify({
        jti,
        run,
        audience: "sts.amazonaws.com",
        sub,
        iat,
        exp,
        kid: "k".repeat(43),
      });
      if (
        pending.push({
          params: [jti, at, `run:${run}`, "token.mint", "org", run, "k", exp, details],
          done,
          fail,
        }) === 1
      ) {
        setImmediate(flush);
      }
    });
}
