// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs this polyfill loaded first;
// only `keyless dev` loads this module, so the global it adds stays out of every other command.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { writeSecretFile } from "../lib/secret-file.js";

/**
 * `keyless dev`'s own certificate authority, so the issuer speaks HTTPS (AWS only fetches https://
 * providers) without a public certificate: a CA and a server certificate for the listening host,
 * ECDSA P-256, made with @peculiar/x509 on WebCrypto (no openssl binary needed). Kept in the data
 * directory and reused on the next start while valid: ca.pem (public), ca-key.pem, tls-cert.pem,
 * tls-key.pem (keys 0600). Trust it with --ca / --trust-ca / NODE_EXTRA_CA_CERTS / curl --cacert.
 */
export interface LocalCa {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

export async function ensureLocalCa(
  dir: string,
  hosts: readonly string[],
  now = Date.now(),
): Promise<LocalCa> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "tls-cert.pem"),
    keyFile: join(dir, "tls-key.pem"),
  };
  const caKeyFile = join(dir, "ca-key.pem");
  // @peculiar/x509 is typed against the DOM Crypto; node:crypto's webcrypto is that API.
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);
  if (
    existsSync(files.caFile) &&
    existsSync(files.certFile) &&
    existsSync(files.keyFile) &&
    stillGood(files.certFile, hosts, now)
  )
    return files;

  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=keyless dev CA (local, do not trust elsewhere)",
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const names = hosts.map((host) =>
    isIP(host) ? { type: "ip" as const, value: host } : { type: "dns" as const, value: host },
  );
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hosts[0] ?? "localhost"}`,
    issuer: ca.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 397 * DAY),
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pem = async (key: webcrypto.CryptoKey) =>
    x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
  writeSecretFile(caKeyFile, await pem(caKeys.privateKey));
  writeSecretFile(files.keyFile, await pem(leafKeys.privateKey));
  writeSecretFile(files.certFile, leaf.toString("pem"));
  writeSecretFile(files.caFile, ca.toString("pem"));
  return files;
}

/** The saved server certificate still covers every host and has a month left. */
function stillGood(certFile: string, hosts: readonly string[], now: number): boolean {
  try {
    const cert = new x509.X509Certificate(readFileSync(certFile, "utf8"));
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const covered = new Set(san?.names.items.map((n) => n.value) ?? []);
    return cert.notAfter.getTime() - now > 30 * DAY && hosts.every((h) => covered.has(h));
  } catch {
    return false;
  }
}

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString("hex")
    .replace(/^[89a-f]/, "1");
