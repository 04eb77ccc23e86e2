import type { Clock } from "../../lib/clock.js";
import type { IdGenerator } from "../../lib/ids.js";
import { type Actor, actorName } from "../authz.js";
import { problem } from "../errors.js";
import type { KeyPolicy } from "../key-lifecycle.js";
import type { SigningAlgorithm } from "../model.js";
import { DuplicateError, type IssuerRepository } from "../repository.js";

export interface IssuerConfig {
  /** The server's own issuer URL (`iss` of organizations without another form). */
  readonly issuerUrl: string;
  /** Base of request URLs handed to jobs: where this server is reachable from jobs. */
  readonly publicUrl: string;
  readonly signingAlgorithm: SigningAlgorithm;
  readonly keyPolicy: KeyPolicy;
  /** Ceiling for every organization's maxLifetimeSeconds (bounds how long retired keys stay published). */
  readonly maxTokenLifetimeSeconds: number;
  /** How long the signing-key list and JWKS may be served from memory. */
  readonly keyCacheMs: number;
}

/** What every resource service is built on: the repository, injected time and ids, and the server's settings. */
export interface ServiceContext {
  readonly repo: IssuerRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly config: IssuerConfig;
}

const NAME = /^[^\s\p{Cc}](?:[^\p{Cc}]{0,98}[^\s\p{Cc}])?$/u;

/** Refuses (400 `bad-request`) a display name of an organization, project, environment or API key. */
export function checkName(what: string, name: string): void {
  if (!NAME.test(name)) {
    throw problem(
      "bad-request",
      `${what} name "${name}" must be 1–100 characters, no control characters or outer spaces`,
    );
  }
}

/** Runs a write, turning a unique-constraint clash into a 409 `conflict` problem. */
export async function noDuplicates<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof DuplicateError) throw problem("conflict", e.message);
    throw e;
  }
}

/**
 * The base of the issuer's resource services: each holds the rules of its resource over the shared
 * context, and writes an audit entry in the same transaction as every change it makes.
 */
export abstract class IssuerResource {
  protected readonly repo: IssuerRepository;
  protected readonly clock: Clock;
  protected readonly ids: IdGenerator;
  readonly config: IssuerConfig;

  constructor(ctx: ServiceContext) {
    this.repo = ctx.repo;
    this.clock = ctx.clock;
    this.ids = ctx.ids;
    this.config = ctx.config;
  }

  /** Appends an audit entry through `repo` (pass the transaction, so the change and its entry commit together). */
  protected async audit(
    actor: Actor | string,
    action: string,
    organizationId: string | null,
    target: string | null,
    details: Record<string, unknown>,
    repo: IssuerRepository = this.repo,
  ): Promise<void> {
    await repo.appendAudit({
      id: this.ids.timeOrderedUuid(this.clock()),
      at: this.clock(),
      actor: typeof actor === "string" ? actor : actorName(actor),
      action,
      organizationId,
      target,
      kid: null,
      tokenExp: null,
      details,
    });
  }
}
