import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { makeTestTls } from "./tls.js";

/**
 * A tiny OIDC issuer for tests only: HTTPS with the project's local CA (./tls.ts), discovery + JWKS, and
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
  /** Publishes a new RSA key under `kid` (a rotation's first half); `sign({}, { kid })` then uses it. */
  addKey(kid: string): Promise<void>;
  /** Stops publishing `kid` (a rotation's second half, after the overlap). */
  removeKey(kid: string): void;
  /** The published JWK of `kid` (what an attacker reads from the JWKS). */
  publicJwk(kid: string): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

export async function startTestIssuer(dir: string, options: { issuer?: string } = {}): Promise<TestIssuer> {
  const { caFile, certFile, keyFile } = await makeTestTls(dir);
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const ec = await generateKeyPair("ES256", { extractable: true });
  let keys: Record<string, unknown>[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
    { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
  ];
  const added = new Map<string, Awaited<ReturnType<typeof generateKeyPair>>["privateKey"]>();
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
        .sign(added.get(kid) ?? (alg.startsWith("ES") ? ec.privateKey : rsa.privateKey));
    },
    async addKey(kid) {
      const pair = await generateKeyPair("RS256", { extractable: true });
      added.set(kid, pair.privateKey);
      keys = [...keys, { ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" }];
    },
    removeKey(kid) {
      keys = keys.filter((k) => k.kid !== kid);
    },
    publicJwk: (kid) => keys.find((k) => k.kid === kid),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
