import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { type PeerCertificate, rootCertificates, type TLSSocket } from "node:tls";

/**
 * The one HTTP(S) GET keyless makes to a peer it does not control: the runner fetching a platform's ID
 * token, the emulator fetching an identity provider's discovery document and JWKS. Hand-written over
 * node:http(s) rather than fetch because Node's fetch cannot take a CA per request (nor skip verification
 * to read the served chain) without the undici package, and jobs often talk to an issuer with a private
 * CA. Bodies are capped (`maxBytes`) so a peer cannot make keyless buffer without bound.
 */
export interface HttpGetOptions {
  readonly headers?: Record<string, string>;
  /** Extra CA certificates (PEM) trusted besides Node's public roots, never in their place. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * false: complete the TLS handshake whatever the certificate, for a caller that judges the served
   * chain itself (`peerCertificate`). Default true.
   */
  readonly rejectUnauthorized?: boolean;
  /** Milliseconds without any byte before giving up (error code ETIMEDOUT). Default 30 000. */
  readonly timeoutMs?: number;
  /** Largest body accepted, in bytes (error code ERR_RESPONSE_TOO_LARGE). Default 1 MiB. */
  readonly maxBytes?: number;
}

export interface HttpGetResponse {
  readonly status: number;
  readonly contentType: string;
  /** The body as UTF-8 text. */
  readonly body: string;
  /** The response's headers, names in lower case (Node's `IncomingMessage.headers`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** HTTPS only: the served certificate with its chain (`issuerCertificate` links), as TLS saw it. */
  readonly peerCertificate?: PeerCertificate;
}

export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * GETs `url` (http: or https:). Resolves with any HTTP status; rejects with the socket's error (its
 * `code`: ECONNREFUSED, a TLS verification code such as UNABLE_TO_VERIFY_LEAF_SIGNATURE, ETIMEDOUT,
 * ERR_RESPONSE_TOO_LARGE) when no complete response arrives.
 */
export function httpGet(url: string | URL, options: HttpGetOptions = {}): Promise<HttpGetResponse> {
  return new Promise((resolve, reject) => {
    const u = typeof url === "string" ? new URL(url) : url;
    const https = u.protocol === "https:";
    const send = https ? httpsRequest : httpRequest;
    const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const req = send(
      u,
      {
        method: "GET",
        headers: options.headers ?? {},
        // No pooled connection: each GET makes its own TLS decision.
        agent: false,
        ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra.map(String)] } : {}),
        ...(options.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      },
      (res: IncomingMessage) => {
        const peer = https ? (res.socket as TLSSocket).getPeerCertificate?.(true) : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        let refused = false;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxBytes) chunks.push(chunk);
          else if (!refused) {
            refused = true;
            // Rejected here, not through the socket: the whole body may already be in, and `end` follow.
            const error = new Error(`${u.host} sent more than ${maxBytes} bytes`);
            reject(Object.assign(error, { code: "ERR_RESPONSE_TOO_LARGE" }));
            req.destroy();
          }
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
            ...(peer?.raw ? { peerCertificate: peer } : {}),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(Object.assign(new Error(`no answer from ${u.host} in time`), { code: "ETIMEDOUT" })),
    );
    req.on("error", reject);
    req.end();
  });
}
