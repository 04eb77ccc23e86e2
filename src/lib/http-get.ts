import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";

/**
 * A GET with optional extra CA, for the CLI. Hand-written over node:http(s) rather than fetch because
 * Node's fetch cannot take a CA per request without the undici package, and jobs often talk to an issuer
 * with a private CA.
 */
export function httpGet(
  url: string,
  options: { headers?: Record<string, string>; ca?: string | Buffer; timeoutMs?: number } = {},
): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      u,
      // `ca` replaces Node's trust store, so the extra CA is added to the public roots, not put in their place.
      {
        method: "GET",
        headers: options.headers ?? {},
        ...(options.ca ? { ca: [...rootCertificates, options.ca.toString()] } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body,
          }),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(new Error(`no answer from ${u.host} in time`)),
    );
    req.on("error", reject);
    req.end();
  });
}
