import { readFileSync } from "node:fs";
import { ensureLocalCa } from "../../src/dev/local-ca.js";

/**
 * The project's own local CA (`keyless dev`'s, src/dev/local-ca.ts: ECDSA P-256 with @peculiar/x509)
 * and a server certificate for 127.0.0.1/localhost signed by it, so HTTPS clients (node, curl, python,
 * the AWS CLI) verify a real chain with only the CA file added. The one test CA: every test that needs
 * HTTPS (a test OIDC issuer, `keyless serve --tls-cert`) gets its files from here.
 */
export interface TestTls {
  /** PEM of the CA certificate, to trust (`--trust-ca`, `--cacert`, `AWS_CA_BUNDLE`). */
  readonly caFile: string;
  /** PEM of the server certificate for 127.0.0.1 and localhost. */
  readonly certFile: string;
  /** PEM (PKCS#8) of the server's private key, mode 0600. */
  readonly keyFile: string;
  /** The CA certificate's PEM bytes, for node's `https.request({ ca })`. */
  readonly ca: Buffer;
}

/** Creates the CA and server certificate in `dir` (reused if `dir` already holds valid ones). */
export async function makeTestTls(dir: string): Promise<TestTls> {
  const files = await ensureLocalCa(dir, ["127.0.0.1", "localhost"]);
  return { ...files, ca: readFileSync(files.caFile) };
}
