import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

/**
 * A tiny OIDC issuer for tests only: HTTPS with a throwaway CA made by `openssl`, discovery + JWKS, and
 * RS256 signing with jose. `issuer` is what tokens carry in `iss` (it may be a public host reached
 * through the emulator's --issuer-alias); the server itself listens on 127.0.0.1.
 */
export interface TestIssuer {
  readonly port: number;
  readonly caFile: string;
  /** `https://127.0.0.1:PORT` */
  readonly localUrl: string;
  readonly issuer: string;
  sign(
    claims: JWTPayload,
    options?: { kid?: string; alg?: string; header?: Record<string, unknown> },
  ): Promise<string>;
  close(): Promise<void>;
}

export function makeCa(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=keyless test CA",
  ]);
  run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  ]);
  writeFileSync(
    join(dir, "san.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
  );
  run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  ]);
  return { caFile: join(dir, "ca.pem"), certFile: join(dir, "server.pem"), keyFile: join(dir, "server.key") };
}

export async function startTestIssuer(dir: string, options: { issuer?: string } = {}): Promise<TestIssuer> {
  const { caFile, certFile, keyFile } = makeCa(dir);
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
    { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
  ];
  let issuer = options.issuer ?? "";
  const server: Server = createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    (req, res) => {
      // Issuers with a path (CircleCI's https://oidc.circleci.com/org/<id>) serve under that path.
      const base = issuer.replace(/\/+$/, "");
      if (req.url?.endsWith("/.well-known/openid-configuration")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            issuer,
            jwks_uri: `${base}/.well-known/jwks`,
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256", "ES256"],
          }),
        );
      } else if (req.url?.endsWith("/.well-known/jwks")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys }));
      } else {
        res.writeHead(404).end();
      }
    },
  );
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const localUrl = `https://127.0.0.1:${port}`;
  if (!issuer) issuer = localUrl;
  return {
    port,
    caFile,
    localUrl,
    issuer,
    async sign(claims, opts = {}) {
      const alg = opts.alg ?? "RS256";
      const kid = opts.kid ?? (alg.startsWith("ES") ? "ec-1" : "rsa-1");
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat: now, exp: now + 3600, ...claims })
        .setProtectedHeader({ alg, kid, typ: "JWT", ...opts.header })
        .sign(alg.startsWith("ES") ? ec.privateKey : rsa.privateKey);
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
