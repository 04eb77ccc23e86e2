/**
 * The physical ceilings for bench:emulator, as bare `node:http` servers with `WORKERS` node:cluster
 * workers (the emulator's own process model):
 * - without `JWK_FILE`: reads a POST body to its end and answers 200 with a fixed
 *   `AssumeRoleWithWebIdentityResponse`-sized XML document. No parsing, no token, no policy, no signing:
 *   what any Node server on the same cores could at best reach for a request and answer of this shape.
 * - with `JWK_FILE` (the issuer's RS256 public JWK): the verify-and-issue floor. It also parses the form
 *   (the emulator's own parser), verifies the token's RS256 signature (the emulator's own
 *   `verifyCompactSignature`, node:crypto underneath), reads its claims, and issues credentials the way
 *   any stateless STS must: a random access key id and secret, and a session token sealed with
 *   AES-256-GCM, written into the XML answer. No claim checks, no provider lookup, no trust policy, no
 *   decision log: the least any server that checks the signature and hands out usable credentials spends.
 *
 *   node dist/bench/support/bare-sts.js PORT WORKERS BYTES [JWK_FILE]
 *   (prints "listening on PORT" once every worker is up)
 */
import cluster from "node:cluster";
import { createCipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { JWK } from "jose";
import { QueryParams } from "../../src/aws/wire/params.js";
import { verifyCompactSignature } from "../../src/core/token/jws.js";
import { runClusterPrimary } from "./cluster-primary.js";

const port = Number(process.argv[2] ?? 0);
const workers = Number(process.argv[3] ?? 2);
const bytes = Number(process.argv[4] ?? 1500);
const jwkFile = process.argv[5];

if (cluster.isPrimary) {
  runClusterPrimary(port, workers);
} else {
  const head = '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">';
  const tail = "</AssumeRoleWithWebIdentityResponse>";
  const fixed = Buffer.from(head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
  const issue = jwkFile ? verifyAndIssue(JSON.parse(readFileSync(jwkFile, "utf8")) as JWK) : undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => {
      chunks.push(d);
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const answer = issue ? issue(body.toString("utf8")) : body.length > 0 ? fixed : undefined;
      res.writeHead(answer ? 200 : 400, {
        "content-type": "text/xml",
        "content-length": answer?.length ?? 0,
        "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
      });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, "127.0.0.1");
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

/** The verify-and-issue floor's work for one form body: the XML answer, or undefined when refused. */
function verifyAndIssue(jwk: JWK): (form: string) => Buffer | undefined {
  const sealingKey = randomBytes(32);
  return (form) => {
    const params = QueryParams.parse(form);
    const token = params.string("WebIdentityToken");
    if (!token || !verifyCompactSignature(token, jwk, "RS256")) return undefined;
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
    const keyId = `ASIA${randomBytes(10).toString("hex").toUpperCase().slice(0, 16)}`;
    const secret = randomBytes(30).toString("base64");
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", sealingKey, iv);
    const session = JSON.stringify({
      keyId,
      secret,
      role: params.string("RoleArn"),
      sub: claims.sub,
      expiration,
    });
    const sealed = Buffer.concat([iv, cipher.update(session, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return Buffer.from(
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${keyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${sealed.toString("base64")}</SessionToken><Expiration>${expiration}</Expiration></Credentials><SubjectFromWebIdentityToken>${claims.sub}</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
    );
  };
}
