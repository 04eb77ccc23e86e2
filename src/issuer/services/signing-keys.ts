import { DatabaseUnavailableError } from "../../store/unavailable.js";
import { type Actor, requireAdmin } from "../authz.js";
import { issuerFor, profileOf } from "../claims/build.js";
import { KEYLESS_CLAIMS, PROFILE } from "../claims/profiles.js";
import { problem } from "../errors.js";
import type { KeyEncryptionKey } from "../kek.js";
import {
  isTransition,
  type KeyStatus,
  keyStatuses,
  MIN_OVERLAP_MS,
  publishedKeys,
  scheduledRotation,
} from "../key-lifecycle.js";
import type { SigningAlgorithm, SigningKeyRecord } from "../model.js";
import {
  type KeyCustody,
  localCustody,
  publicJwk,
  type RemoteSigner,
  type SignedToken,
  Signer,
} from "../signing-keys.js";
import { IssuerResource, type ServiceContext } from "./context.js";

const MAX_JWKS_KEYS_PER_TYPE = 100;

/**
 * Signing keys and what verifiers read of them: rotation (scheduled and manual), retirement, the key
 * that signs now, and the discovery document and JWKS of every issuer URL this server answers for.
 */
/**
 * What one server knows of the key set at one instant: the key that signs and the JWKS it serves, derived
 * together from one read, cached together and refreshed together, so the signer is always in the JWKS this
 * server serves (a rotation made by another process is seen by both at once, never by one first).
 */
interface KeySnapshot {
  readonly at: number;
  readonly statuses: KeyStatus[];
  readonly signer: SigningKeyRecord | undefined;
  readonly jwks: { keys: Record<string, unknown>[] };
}

/**
 * Signing keys and what verifiers read of them: rotation (scheduled and manual), retirement, the key
 * that signs now, and the discovery document and JWKS of every issuer URL this server answers for.
 */
export class SigningKeyService extends IssuerResource {
  private readonly signer: Signer;
  private readonly custody: KeyCustody;
  private cached: KeySnapshot | undefined;
  private loading: Promise<KeySnapshot> | undefined;
  /** Bumped by every change this process makes, so a load begun before it is not cached after it. */
  private generation = 0;
  /**
   * The last JWKS and issuer list read from the store, served while the database is unavailable:
   * verifiers keep validating the tokens already issued through an outage (minting stops meanwhile).
   */
  private lastGood: {
    jwks?: { keys: Record<string, unknown>[] };
    issuers?: { issuer: string; jwksPath: string }[];
  } = {};

  /**
   * @param keys.custody where new keys are made (default: locally, sealed under `kek`).
   * @param keys.remote signs with keys held in AWS KMS (whatever the custody of new keys, so an issuer
   *   switched from one to the other still signs with the key that is active).
   */
  constructor(
    ctx: ServiceContext,
    kek: KeyEncryptionKey,
    keys: { custody?: KeyCustody | undefined; remote?: RemoteSigner | undefined } = {},
  ) {
    super(ctx);
    this.signer = new Signer(kek, keys.remote);
    this.custody = keys.custody ?? localCustody(kek);
    if (ctx.config.keyPolicy.overlapMs < MIN_OVERLAP_MS) {
      throw new Error(`the key overlap must be at least ${MIN_OVERLAP_MS / 60000} minutes (AWS caches JWKS)`);
    }
  }

  /** The key that signs now (from this server's snapshot), or undefined when none is active. */
  async current(): Promise<SigningKeyRecord | undefined> {
    return (await this.snapshot()).signer;
  }

  /** A compact JWS of `claims` signed with `key` (from `current()`). */
  sign(key: SigningKeyRecord, claims: Record<string, unknown>): Promise<SignedToken> {
    return this.signer.sign(key, claims);
  }

  /** The cached snapshot, or a fresh one after `keyCacheMs` (one load at a time, shared by every caller). */
  private async snapshot(): Promise<KeySnapshot> {
    const now = this.clock();
    const c = this.cached;
    if (c && now - c.at < this.config.keyCacheMs && now >= c.at) return c;
    if (this.loading) return this.loading;
    const loading = this.load().finally(() => {
      if (this.loading === loading) this.loading = undefined;
    });
    this.loading = loading;
    return loading;
  }

  private async load(): Promise<KeySnapshot> {
    const generation = this.generation;
    const at = this.clock();
    const statuses = await this.statuses();
    const signer = statuses.find((s) => s.state === "active")?.key;
    const jwks = { keys: publishedKeys(statuses).map((k) => publicJwk(k) as Record<string, unknown>) };
    const snapshot = { at, statuses, signer, jwks };
    if (generation === this.generation) {
      this.cached = snapshot;
      this.lastGood.jwks = jwks;
    }
    return snapshot;
  }

  private forgetKeys(): void {
    this.generation++;
    this.cached = undefined;
    this.loading = undefined;
  }

  async keyStatuses(actor: Actor): Promise<KeyStatus[]> {
    requireAdmin(actor);
    return this.statuses();
  }

  /** Every key's state now, from one read of the keys and their last token expiries. */
  private async statuses(): Promise<KeyStatus[]> {
    const rows = await this.repo.listSigningKeysWithLastExpiry();
    const lastExp = new Map(rows.map((r) => [r.key.kid, r.lastTokenExp]));
    return keyStatuses(
      rows.map((r) => r.key),
      this.clock(),
      (kid) => {
        const s = lastExp.get(kid);
        return s === null || s === undefined ? null : s * 1000;
      },
    );
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
    const statuses = await this.statuses();
    if (!options.immediate && statuses.some((s) => s.state === "pending")) {
      throw problem(
        "conflict",
        "a new key is already waiting out its overlap; retire it first or use --immediate",
      );
    }
    // AWS reads at most 100 RSA and 100 EC keys from a JWKS; beyond that its tokens fail
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
    const alg = options.algorithm ?? this.config.signingAlgorithm;
    const published = publishedKeys(statuses).filter((k) => k.alg === alg).length;
    if (published >= MAX_JWKS_KEYS_PER_TYPE) {
      throw problem(
        "conflict",
        `${published} ${alg} keys are still published; AWS reads at most ${MAX_JWKS_KEYS_PER_TYPE} per key type`,
      );
    }
    const activateAt =
      options.immediate || statuses.length === 0 ? now : now + this.config.keyPolicy.overlapMs;
    return this.addKey(actor, alg, activateAt, "signing-key.rotate", now);
  }

  /** `createdAt` is the moment the decision was taken, so the overlap is exact whatever keygen takes. */
  private async addKey(
    actor: Actor | string,
    alg: SigningAlgorithm,
    activateAt: number,
    action: string,
    createdAt: number,
  ) {
    const existing = this.custody.kind === "local" ? [] : await this.repo.listSigningKeys();
    const key = await this.custody.createKey(alg, { createdAt, activateAt }, existing);
    await this.repo.transaction(async (tx) => {
      await tx.insertSigningKey(key);
      await this.audit(actor, action, null, key.kid, { alg, activateAt }, tx);
    });
    this.forgetKeys();
    return key;
  }

  /**
   * Stops a pending or superseded key for good; it stays published until its last token has expired
   * (state `retiring`). The key that signs now is refused (409 `conflict`): no older key may sign again,
   * so retiring it would leave nothing to sign with; rotate first (`--immediate` in an emergency), then
   * retire the superseded key. A retiring or retired key is refused too.
   */
  async retire(actor: Actor, kid: string): Promise<void> {
    requireAdmin(actor);
    const now = this.clock();
    const status = (await this.statuses()).find((s) => s.key.kid === kid);
    if (!status) throw problem("not-found", `no signing key ${kid}`);
    if (status.state === "active") {
      throw problem(
        "conflict",
        `${kid} is the only key that can sign; run \`keyless keys rotate\` (--immediate in an emergency) first, then retire it`,
        { state: status.state },
      );
    }
    if (!isTransition(status.state, "retiring")) {
      throw problem("conflict", `signing key ${kid} is ${status.state}; it cannot be retired`, {
        state: status.state,
      });
    }
    await this.repo.transaction(async (tx) => {
      if (!(await tx.retireSigningKey(kid, now))) {
        throw problem("conflict", `signing key ${kid} is already retired`);
      }
      await this.audit(actor, "signing-key.retire", null, kid, { from: status.state }, tx);
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
  /**
   * The JWKS this server serves: from the same snapshot as the key it signs with; while the database is
   * unavailable, the last one read (no key can sign meanwhile: minting needs the database too).
   * Throws `DatabaseUnavailableError` only when the database has never been read.
   */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    try {
      return (await this.snapshot()).jwks;
    } catch (error) {
      if (error instanceof DatabaseUnavailableError && this.lastGood.jwks) return this.lastGood.jwks;
      throw error;
    }
  }

  /**
   * Every issuer URL this server answers for: its own, and each organization's form; while the database
   * is unavailable, the last list read. Throws `DatabaseUnavailableError` when it has never been read.
   */
  async issuers(): Promise<{ issuer: string; jwksPath: string }[]> {
    try {
      const issuers = await this.readIssuers();
      this.lastGood.issuers = issuers;
      return issuers;
    } catch (error) {
      if (error instanceof DatabaseUnavailableError && this.lastGood.issuers) return this.lastGood.issuers;
      throw error;
    }
  }

  /**
   * Readiness (`GET /readyz`): reads the keys from the store now, bypassing the cache, so it fails while
   * the database is unavailable (`DatabaseUnavailableError`); then the key that signs, which is published
   * by construction, or a 503 `no-signing-key` problem when no key is active.
   */
  async ready(): Promise<SigningKeyRecord> {
    const statuses = await this.statuses();
    const active = statuses.find((s) => s.state === "active")?.key;
    if (!active || !publishedKeys(statuses).some((k) => k.kid === active.kid)) {
      throw problem("no-signing-key", "no signing key is active and published");
    }
    return active;
  }

  private async readIssuers(): Promise<{ issuer: string; jwksPath: string }[]> {
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
