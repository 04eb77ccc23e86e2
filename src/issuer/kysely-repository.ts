import type { Kysely } from "kysely";
import { apiKeyRows } from "./kysely/api-keys.js";
import { auditRows } from "./kysely/audit.js";
import { consoleSessionRows } from "./kysely/console-sessions.js";
import type { IssuerDb } from "./kysely/rows.js";
import { runRows } from "./kysely/runs.js";
import { signingKeyRows } from "./kysely/signing-keys.js";
import { tenancyRows } from "./kysely/tenancy.js";
import type { IssuerRepository } from "./repository.js";
import type { IssuerTables } from "./tables.js";

/**
 * The issuer's storage on Kysely: the same code for SQLite and PostgreSQL, one module per resource
 * (`kysely/`), composed here over one connection or one transaction.
 */
export function kyselyIssuerRepository(db: IssuerDb): IssuerRepository {
  const repo: IssuerRepository = {
    ...tenancyRows(db),
    ...runRows(db),
    ...apiKeyRows(db),
    ...consoleSessionRows(db),
    ...signingKeyRows(db),
    ...auditRows(db),
    transaction: (fn) =>
      db.isTransaction
        ? fn(repo)
        : (db as Kysely<IssuerTables>).transaction().execute((trx) => fn(kyselyIssuerRepository(trx))),
  };
  return repo;
}
