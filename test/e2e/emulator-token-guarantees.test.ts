import assert from "node:assert/strict";
import { createHmac, createPublicKey } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { createEmulator, type Emulator } from "../../src/aws/emulator.js";
import { SKEW_SECONDS } from "../../src/aws/sts/checks.js";
import { STS_MESSAGES } from "../../src/aws/sts/messages.js";
import { manualClock } from "../../src/lib/clock.js";
import { cryptoIds } from "../../src/lib/ids.js";
import { startTestIssuer, type TestIssuer } from "../support/oidc-issuer.js";
import { tempDir } from "../support/tmp.js";

/**
 * The token checks of AssumeRoleWithWebIdentity against a *registered* provider (issue 14, section 4: a
 * mutation probe found that removing the signature check or the algorithm allow-list left every test
 * green, because the tokens that exercised them came from unregistered issuers and were refused first).
 * Here the provider exists, its JWKS is served by the test OIDC issuer over HTTPS, the client is the AWS
 * SDK for JavaScript v3, and the emulator runs on a manual clock so the five-minute skew is checked to
 * the second (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html).
 */
const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/guarded`;
const AUD = "sts.amazonaws.com";

describe("AssumeRoleWithWebIdentity token checks against a registered provider (AWS SDK v3)", () => {
  const dir = tempDir();
  let issuer: TestIssuer;
  let emulator: Emulator;
  let server: Server;
  let sts: STSClient;
  // Whole seconds, so that `exp = now - 300` is exactly at the edge.
  const clock = manualClock(Math.floor(Date.now() / 1000) * 1000);
  const now = () => Math.floor(clock() / 1000);

  before(async () => {
    issuer = await startTestIssuer(join(dir.path, "ca"));
    emulator = await createEmulator({
      dataDir: join(dir.path, "emulator"),
      trustCaFiles: [issuer.caFile],
      clock,
      ids: cryptoIds,
    });
    server = createServer(emulator.listener);
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
    const address = server.address();
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const client = { endpoint, region: "us-east-1", maxAttempts: 1 };
    const iam = new IAMClient({ ...client, credentials: { accessKeyId: ACCOUNT, secretAccessKey: "test" } });
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer.issuer, ClientIDList: [AUD] }));
    const trust = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer.issuer.slice(8)}` },
          Action: "sts:AssumeRoleWithWebIdentity",
        },
      ],
    };
    await iam.send(
      new CreateRoleCommand({ RoleName: "guarded", AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    iam.destroy();
    sts = new STSClient({ ...client, credentials: { accessKeyId: "unused", secretAccessKey: "unused" } });
  });
  after(async () => {
    sts?.destroy();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
    await emulator?.close();
    await issuer?.close();
    dir.cleanup();
  });

  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    sub: "repo:org/repo:ref:refs/heads/main",
    aud: AUD,
    iat: now(),
    exp: now() + 3600,
    ...extra,
  });
  const exchange = (token: string) =>
    sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: "s1", WebIdentityToken: token }),
    );
  const accepted = async (token: string, what: string) => {
    const r = await exchange(token).catch((e: Error) =>
      assert.fail(`${what}: refused: ${e.name}: ${e.message}`),
    );
    assert.equal(r.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/guarded/s1`, what);
  };
  const refused = async (token: string, code: string, message: string, what: string) => {
    await assert.rejects(exchange(token), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      // The SDK's exception class is the wire code plus "Exception" when the model says so.
      assert.equal(e.name, code.endsWith("Exception") ? code : `${code}Exception`, `${what}: ${e.message}`);
      assert.equal((e as Error & { Code?: string }).Code ?? code, code, what);
      assert.equal(e.message, message, what);
      assert.equal(e.$metadata?.httpStatusCode, 400, what);
      return true;
    });
  };
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

  test("a well-signed token is accepted (the baseline every refusal below differs from by one thing)", async () => {
    await accepted(await issuer.sign(claims()), "RS256 with rsa-1");
    await accepted(await issuer.sign(claims(), { alg: "ES256" }), "ES256 with ec-1");
  });

  test("a token signed by another key under a published kid: InvalidIdentityToken, bad signature", async () => {
    const stranger = await generateKeyPair("RS256");
    const forged = await new SignJWT({ iss: issuer.issuer, ...claims() })
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1", typ: "JWT" })
      .sign(stranger.privateKey);
    await refused(forged, "InvalidIdentityToken", STS_MESSAGES.badSignature, "forged RS256");
    // A genuine token with one claim changed after signing: the same refusal.
    const [h, , sig] = (await issuer.sign(claims())).split(".");
    const altered = `${h}.${b64({ iss: issuer.issuer, ...claims({ sub: "repo:evil/repo:ref:refs/heads/main" }) })}.${sig}`;
    await refused(altered, "InvalidIdentityToken", STS_MESSAGES.badSignature, "altered payload");
  });

  test("alg none and HS256 (the RSA public key as the HMAC secret) under a published kid: unsupported alg", async () => {
    const payload = b64({ iss: issuer.issuer, ...claims() });
    const none = `${b64({ alg: "none", kid: "rsa-1", typ: "JWT" })}.${payload}.`;
    await refused(none, "InvalidIdentityToken", STS_MESSAGES.unsupportedAlg("none"), "alg none");
    const jwk = issuer.publicJwk("rsa-1")!;
    const pem = createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" })
      .export({ type: "spki", format: "pem" })
      .toString();
    const input = `${b64({ alg: "HS256", kid: "rsa-1", typ: "JWT" })}.${payload}`;
    const hs256 = `${input}.${createHmac("sha256", pem).update(input).digest("base64url")}`;
    await refused(hs256, "InvalidIdentityToken", STS_MESSAGES.unsupportedAlg("HS256"), "HS256 key confusion");
  });

  test(`exp: ${SKEW_SECONDS} s in the past is accepted, one second more is ExpiredTokenException`, async () => {
    assert.equal(SKEW_SECONDS, 300);
    const at = now();
    await accepted(await issuer.sign(claims({ iat: at - 600, exp: at - 300 })), "exp = now - 300");
    await refused(
      await issuer.sign(claims({ iat: at - 600, exp: at - 301 })),
      "ExpiredTokenException",
      STS_MESSAGES.expired(at, at - 301),
      "exp = now - 301",
    );
  });

  test("iat and nbf up to 300 s ahead are accepted, 301 s ahead is InvalidIdentityToken", async () => {
    const at = now();
    await accepted(await issuer.sign(claims({ iat: at + 300 })), "iat = now + 300");
    await refused(
      await issuer.sign(claims({ iat: at + 301 })),
      "InvalidIdentityToken",
      STS_MESSAGES.notYetValid("iat"),
      "iat = now + 301",
    );
    await accepted(await issuer.sign(claims({ nbf: at + 300 })), "nbf = now + 300");
    await refused(
      await issuer.sign(claims({ nbf: at + 301 })),
      "InvalidIdentityToken",
      STS_MESSAGES.notYetValid("nbf"),
      "nbf = now + 301",
    );
  });

  test("several audiences need azp: refused without it, accepted with a registered one", async () => {
    await refused(
      await issuer.sign(claims({ aud: [AUD, "other"] })),
      "InvalidIdentityToken",
      STS_MESSAGES.manyAudiences,
      "two audiences, no azp",
    );
    await accepted(
      await issuer.sign(claims({ aud: ["other", AUD], azp: AUD })),
      "two audiences, azp registered",
    );
    await refused(
      await issuer.sign(claims({ aud: [AUD, "other"], azp: "other" })),
      "InvalidIdentityToken",
      STS_MESSAGES.audience,
      "two audiences, azp not registered",
    );
  });

  test("JWKS cache across a rotation: keys fetched before it, a new-key token after the overlap is accepted", async () => {
    // The emulator fetches and caches the JWKS (rsa-1, ec-1) on this exchange.
    await accepted(await issuer.sign(claims()), "before the rotation");
    // Rotation: rsa-2 published beside rsa-1, then, after the overlap, rsa-1 withdrawn.
    await issuer.addKey("rsa-2");
    issuer.removeKey("rsa-1");
    clock.advance(60_000);
    // rsa-2 is not in the cached copy: the unknown kid makes the emulator fetch again, as STS does.
    await accepted(await issuer.sign(claims(), { kid: "rsa-2" }), "new key after the overlap");
    // A kid the issuer never published stays unknown after that fetch.
    await refused(
      await issuer.sign(claims(), { kid: "rsa-9" }),
      "InvalidIdentityToken",
      STS_MESSAGES.noKey,
      "never published",
    );
  });
});
