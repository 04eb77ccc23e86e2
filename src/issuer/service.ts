import type { Clock } from "../lib/clock.js";
import type { IdGenerator } from "../lib/ids.js";
import type { AuditSink } from "./audit-batcher.js";
import type { KeyEncryptionKey } from "./kek.js";
import type { IssuerRepository } from "./repository.js";
import { ApiKeyService } from "./services/api-keys.js";
import { AuditService } from "./services/audit.js";
import { ConsoleSessionService } from "./services/console-sessions.js";
import type { IssuerConfig, ServiceContext } from "./services/context.js";
import { RunService } from "./services/runs.js";
import { SigningKeyService } from "./services/signing-keys.js";
import { TenancyService } from "./services/tenancy.js";
import type { KeyCustody, RemoteSigner } from "./signing-keys.js";

export type { CreatedApiKey } from "./services/api-keys.js";
export type { IssuerConfig } from "./services/context.js";
export type { CreatedRun, RunInput } from "./services/runs.js";
export type { OrganizationInput } from "./services/tenancy.js";

/**
 * The issuer's behaviour, one service per resource over one repository, clock and id generator: every
 * rule of the model, authorization, claims and keys. The HTTP layer (server/issuer/) and the CLI only
 * translate their inputs to these calls; neither reaches the repository.
 */
export class IssuerService {
  /** Organizations, projects, environments. */
  readonly tenancy: TenancyService;
  /** Runs, claim previews and the token endpoint. */
  readonly runs: RunService;
  /** API keys: authentication, creation, revocation, the bootstrap admin key. */
  readonly apiKeys: ApiKeyService;
  /** Signing keys, rotation, discovery and JWKS. */
  readonly signingKeys: SigningKeyService;
  /** The audit log. */
  readonly audit: AuditService;
  /** Web console sessions and sign-in codes (stored as hashes, acting as an API key's id). */
  readonly consoleSessions: ConsoleSessionService;

  /**
   * @param options.auditSink where mint records go (default: the repository; in a cluster worker, the
   *   primary process).
   * @param options.keyCustody where new signing keys are made (default: locally, sealed under `kek`).
   * @param options.remoteSigner signs with keys held in AWS KMS.
   */
  constructor(
    repo: IssuerRepository,
    kek: KeyEncryptionKey,
    clock: Clock,
    ids: IdGenerator,
    readonly config: IssuerConfig,
    options: { auditSink?: AuditSink; keyCustody?: KeyCustody; remoteSigner?: RemoteSigner } = {},
  ) {
    const ctx: ServiceContext = { repo, clock, ids, config };
    this.signingKeys = new SigningKeyService(ctx, kek, {
      custody: options.keyCustody,
      remote: options.remoteSigner,
    });
    this.tenancy = new TenancyService(ctx);
    this.runs = new RunService(ctx, this.signingKeys, options.auditSink ?? repo);
    this.apiKeys = new ApiKeyService(ctx, this.tenancy);
    this.audit = new AuditService(ctx);
    this.consoleSessions = new ConsoleSessionService(ctx, this.apiKeys);
  }
}
