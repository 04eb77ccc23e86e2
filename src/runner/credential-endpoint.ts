import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isoSeconds } from "../core/aws/time.js";
import type { AwsCredentials } from "./credentials.js";

/**
 * The loopback credentials endpoint `keyless exec` gives its child, in the shape of the container
 * credentials provider (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN).
 *
 * Why this, and not a token file or a generated profile: every AWS SDK, the AWS CLI and Terraform
 * (Go SDK v2) read it, refresh from it by themselves before expiry, and it carries whatever the
 * runner did to get the credentials (chained roles, session policies, external ids) without the
 * child knowing. A web-identity token file would make the child redo the exchange without those, and
 * a credentials file would put secrets on disk. The endpoint listens on 127.0.0.1 only, on a random
 * port and a random path, and answers only with the random bearer token it was started with.
 */
export interface CredentialEndpoint {
  readonly url: string;
  readonly authorization: string;
  /** The environment a child needs to use it. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startCredentialEndpoint(
  get: () => Promise<AwsCredentials>,
): Promise<CredentialEndpoint> {
  const path = `/credentials/${randomBytes(16).toString("hex")}`;
  const authorization = randomBytes(32).toString("base64url");
  const expected = Buffer.from(authorization);
  const server: Server = createServer((request, response) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    const authorized = given.length === expected.length && timingSafeEqual(given, expected);
    if (request.method !== "GET" || request.url !== path || !authorized) {
      response
        .writeHead(request.url === path ? 403 : 404, { "content-type": "application/json" })
        .end('{"message":"forbidden"}');
      return;
    }
    get().then(
      (c) => {
        response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(
          JSON.stringify({
            AccessKeyId: c.accessKeyId,
            SecretAccessKey: c.secretAccessKey,
            Token: c.sessionToken,
            Expiration: isoSeconds(c.expiration),
          }),
        );
      },
      (error: Error) => {
        // A 5xx makes the SDKs retry; the message says why without any secret in it.
        response
          .writeHead(503, { "content-type": "application/json" })
          .end(JSON.stringify({ message: `keyless could not refresh credentials: ${error.message}` }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}${path}`;
  return {
    url,
    authorization,
    env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: url, AWS_CONTAINER_AUTHORIZATION_TOKEN: authorization },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
