import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { problem } from "../../issuer/errors.js";
import type { IssuerService } from "../../issuer/service.js";
import type { SigningKeyService } from "../../issuer/services/signing-keys.js";
import { kmsKeyArn } from "../../issuer/signing-keys.js";
import { RotateBody } from "../admin-schemas.js";
import { type AdminRoute, addAdminRoutes, iso, parse } from "./http.js";

/** Signing keys: their states, rotation and retirement (admin only). */
export function signingKeysRoutes(svc: SigningKeyService): AdminRoute[] {
  return [
    {
      method: "GET",
      url: "/api/v1/signing-keys",
      scope: "admin",
      handler: async ({ actor }) => ({
        signingKeys: (await svc.keyStatuses(actor)).map((s) => ({
          kid: s.key.kid,
          alg: s.key.alg,
          state: s.state,
          createdAt: iso(s.key.createdAt),
          activateAt: iso(s.key.activateAt),
          supersededAt: iso(s.supersededAt),
          retiredAt: iso(s.key.retiredAt),
          unpublishAt: iso(s.unpublishAt),
          // Where the private key is: the AWS KMS key's ARN, or null for a key sealed in the store.
          kmsKeyArn: kmsKeyArn(s.key) ?? null,
        })),
      }),
    },
    {
      method: "POST",
      url: "/api/v1/signing-keys/rotate",
      scope: "admin",
      status: 201,
      handler: async ({ actor, body }) => {
        const b = parse(RotateBody, body ?? undefined);
        const k = await svc.rotate(actor, {
          immediate: b.immediate,
          ...(b.algorithm ? { algorithm: b.algorithm } : {}),
        });
        return { kid: k.kid, alg: k.alg, activateAt: iso(k.activateAt) };
      },
    },
    {
      method: "POST",
      url: "/api/v1/signing-keys/:kid/retire",
      scope: "admin",
      handler: async ({ actor, params }) => {
        await svc.retire(actor, params.kid!);
        return { kid: params.kid, retired: true };
      },
    },
  ];
}

const WELL_KNOWN =
  /^(.*?)\/(\.well-known\/openid-configuration|\.well-known\/jwks(?:\.json)?|oauth\/discovery\/keys)$/;

/**
 * The signing-key routes and what verifiers read, as an encapsulated Fastify plugin: discovery and JWKS
 * per issuer URL (chosen by Host and path, OpenID Connect Discovery 1.0 section 4, https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig,
 * https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig), public, cached
 * `wellKnownMaxAgeSeconds`.
 */
export const signingKeysApi: FastifyPluginAsync<{
  service: IssuerService;
  wellKnownMaxAgeSeconds: number;
}> = async (app, { service, wellKnownMaxAgeSeconds }) => {
  const svc = service.signingKeys;
  addAdminRoutes(app, signingKeysRoutes(svc));
  const wellKnown = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split("?")[0]!;
    const m = WELL_KNOWN.exec(path);
    if (!m) throw problem("not-found", `no route GET ${path}`);
    const prefix = m[1] ?? "";
    reply.header("cache-control", `public, max-age=${wellKnownMaxAgeSeconds}`);
    if (m[2] !== ".well-known/openid-configuration") return svc.jwks();
    const host = req.headers.host ?? "";
    const hostname = host.replace(/:\d+$/, "");
    const issuers = await svc.issuers();
    const match = issuers.find(({ issuer }) => {
      const u = new URL(issuer);
      const sameHost = u.host === host || (u.port === "" && u.hostname === hostname);
      return sameHost && u.pathname.replace(/\/$/, "") === prefix;
    });
    const chosen = match ?? (prefix === "" ? issuers[0] : undefined);
    if (!chosen) throw problem("not-found", `no issuer at ${path}`);
    return svc.discovery(chosen.issuer, chosen.jwksPath);
  };
  app.get("/.well-known/openid-configuration", wellKnown);
  app.get("/.well-known/jwks", wellKnown);
  app.get("/.well-known/jwks.json", wellKnown);
  app.get("/oauth/discovery/keys", wellKnown);
  app.get("/*", wellKnown); // issuers with a path: https://id.example.com/org/acme/.well-known/…
};
