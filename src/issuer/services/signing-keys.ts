import { type Actor, requireAdmin } from "../authz.js";
import { issuerFor, profileOf } from "../claims/build.js";
import { KEYLESS_CLAIMS, PROFILE } from "../claims/profiles.js";
import { problem } from "../errors.js";
import type { KeyEncryptionKey } from "../kek.js";
import {
  type KeyStatus,
  keyStatuses,
  MIN_OVERLAP_MS,
  publishedKeys,
  scheduledRotation,
  signingKey,
} from "../key-lifecycle.js";
import type { SigningAlgorithm, SigningKeyRecord } from "../model.js";
import { generateSigningKey, publicJwk, type SignedToken, Signer } from "../signing-keys.js";
import { IssuerResource, type ServiceContext } from "./context.js";

const MAX_JWKS_KEYS_PER_TYPE = 100;

/**
 * Signing keys and what verifiers read of them: rotation (scheduled and manual), retirement, the key
 * that signs now, and the discovery document and JWKS of every issuer URL this server answers for.
 */
export class SigningKeyService extends IssuerResource {
  private readonly signer: Signer;
  private keysCache: { at: number; keys: SigningKeyRecord[] } | undefined;
  private jwksCache: { at: number; jwks: { keys: Record<string, unknown>[] } } | undefined;

  constructor(
    ctx: ServiceContext,
    private readonly kek: KeyEncryptionKey,
  ) {
    super(ctx);
    this.signer = new Signer(kek);
    if (ctx.config.keyPolicy.overlapMs < MIN_OVERLAP_MS) {
      throw new Error(`the key overlap must be at least ${MIN_OVERLAP_MS / 60000} minutes (AWS caches JWKS)`);
    }
  }

  /** The key that signs now (from the cached list), or undefined when none is active. */
  async current(): Promise<SigningKeyRecord | undefined> {
    return signingKey(await this.keys(), this.clock());
  }

  /** A compact JWS of `claims` signed with `key` (from `current()`). */
  sign(key: SigningKeyRecord, claims: Record<string, unknown>): Promise<SignedToken> {
    return this.signer.sign(key, claims);
  }

  private async keys(): Promise<SigningKeyRecord[]> {
    const now = this.clock();
    if (this.keysCache && now - this.keysCache.at < this.config.keyCacheMs && now >= this.keysCache.at) {
      return this.keysCache.keys;
    }
    const keys = await this.repo.listSigningKeys();
    this.keysCache = { at: now, keys };
    return keys;
  }

  private forgetKeys(): void {
    this.keysCache = undefined;
    this.jwksCache = undefined;
  }

  async keyStatuses(actor: Actor): Promise<KeyStatus[]> {
    requireAdmin(actor);
    return this.statuses(await this.repo.listSigningKeys());
  }

  private async statuses(keys: SigningKeyRecord[]): Promise<KeyStatus[]> {
    const now = this.clock();
    const lastExp = new Map<string, number | null>();
    for (const k of keys) {
      if (k.activateAt <= now) lastExp.set(k.kid, await this.repo.maxTokenExpiry(k.kid));
    }
    return keyStatuses(keys, now, (kid) => {
      const s = lastExp.get(kid);
      return s === null || s === undefined ? null : s * 1000;
    });
  }

  /**
   * Creates the next key. Normally it is published now and signs after the overlap; `immediate` (an
   * emergency, e.g. a suspected leak) makes it sign at once — verifiers whose JWKS copy predates it will
   * refuse its tokens until they refresh.
   */
  async rotate(
    actor: Actor,
    options: { immediate?: boolean; algorithm?: SigningAlgorithm } = {},
  ): Promise<SigningKeyRecord> {
    requireAdmin(actor);
    const now = this.clock();
    const existing = await this.repo.listSigningKeys();
    if (!options.immediate && existing.some((k) => k.activateAt > now && k.retiredAt === null)) {
      throw problem(
        "conflict",
        "a new key is already waiting out its overlap; retire it first or use --immediate",
      );
    }
    // AWS reads at most 100 RSA and 100 EC keys from a JWKS; beyond that its tokens fail
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
    const alg = options.algorithm ?? this.config.signingAlgorithm;
    const published = publishedKeys(await this.statuses(existing)).filter((k) => k.alg === alg).length;
    if (published >= MAX_JWKS_KEYS_PER_TYPE) {
      throw problem(
        "conflict",
        `${published} ${alg} keys are still published; AWS reads at most ${MAX_JWKS_KEYS_PER_TYPE} per key type`,
      );
    }
    const activateAt =
      options.immediate || existing.length === 0 ? now : now + this.config.keyPolicy.overlapMs;
    return this.addKey(
      actor,
      options.algorithm ?? this.config.signingAlgorithm,
      activateAt,
      "signing-key.rotate",
      now,
    );
  }

  /** `createdAt` is the moment the decision was taken, so the overlap is exact whatever keygen takes. */
  private async addKey(
    actor: Actor | string,
    alg: SigningAlgorithm,
    activateAt: number,
    action: string,
    createdAt: number,
  ) {
    const key = await generateSigningKey(alg, this.kek, { createdAt, activateAt });
    await this.repo.transaction(async (tx) => {
      await tx.insertSigningKey(key);
      await this.audit(actor, action, null, key.kid, { alg, activateAt }, tx);
    });
    this.forgetKeys();
    return key;
  }

  /** Stops a key signing now; it stays published until its last token has expired. */
  async retire(actor: Actor, kid: string): Promise<void> {
    requireAdmin(actor);
    const now = this.clock();
    const keys = await this.repo.listSigningKeys();
    const key = keys.find((k) => k.kid === kid);
    if (!key) throw problem("not-found", `no signing key ${kid}`);
    if (key.retiredAt !== null) throw problem("conflict", `signing key ${kid} is already retired`);
    const after = keys.map((k) => (k.kid === kid ? { ...k, retiredAt: now } : k));
    if (signingKey(keys, now)?.kid === kid && !signingKey(after, now)) {
      throw problem(
        "conflict",
        `${kid} is the only key that can sign; run \`keyless keys rotate --immediate\` first`,
      );
    }
    await this.repo.transaction(async (tx) => {
      await tx.retireSigningKey(kid, now);
      await this.audit(actor, "signing-key.retire", null, kid, {}, tx);
    });
    this.forgetKeys();
  }

  /** First start and the rotation schedule: called at start and periodically by the server. */
  async maintainKeys(): Promise<SigningKeyRecord | undefined> {
    const keys = await this.repo.listSigningKeys();
    const now = this.clock();
    const decision = scheduledRotation(keys, now, this.config.keyPolicy);
    if (decision.action === "none") return undefined;
    return this.addKey(
      "system",
      this.config.signingAlgorithm,
      decision.activateAt,
      `signing-key.${decision.action}`,
      now,
    );
  }

  // ------------------------------------------------------------------ discovery
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const now = this.clock();
    if (this.jwksCache && now - this.jwksCache.at < this.config.keyCacheMs && now >= this.jwksCache.at) {
      return this.jwksCache.jwks;
    }
    const statuses = await this.statuses(await this.repo.listSigningKeys());
    const jwks = { keys: publishedKeys(statuses).map((k) => publicJwk(k) as Record<string, unknown>) };
    this.jwksCache = { at: now, jwks };
    return jwks;
  }

  /** Every issuer URL this server answers for: its own, and each organization's form. */
  async issuers(): Promise<{ issuer: string; jwksPath: string }[]> {
    const out = new Map<string, string>([[this.config.issuerUrl, PROFILE.keyless.jwksPath]]);
    for (const org of await this.repo.listOrganizations()) {
      const iss = issuerFor({ organization: org }, this.config.issuerUrl);
      if (!out.has(iss)) out.set(iss, profileOf(org.settings).jwksPath);
    }
    return [...out].map(([issuer, jwksPath]) => ({ issuer, jwksPath }));
  }

  discovery(issuer: string, jwksPath: string): Record<string, unknown> {
    const algs = [...new Set([this.config.signingAlgorithm, "RS256", "ES256"])];
    return {
      issuer,
      jwks_uri: `${issuer.replace(/\/$/, "")}${jwksPath}`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: algs,
      scopes_supported: ["openid"],
      claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", ...KEYLESS_CLAIMS, "ref", "commit"],
    };
  }
}
