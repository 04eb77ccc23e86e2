import type { Compilable, CompiledQuery } from "kysely";
import type { Run, RunStatus } from "../model.js";
import type { MintContext, RunFilter, RunRepository } from "../repository.js";
import { type IssuerDb, toEnvironment, toOrganization, toProject, toRun, unique } from "./rows.js";

/**
 * A query built and compiled once, then run with new parameters. Why: on the token endpoint Kysely's
 * builder and compiler cost more than SQLite running the query (the mint context: 87 µs a call built
 * each time, 39 µs precompiled, on the 2-core bench machine: docs/performance.md).
 * The parameters must be given in the order the builder bound them.
 */
function precompiled<R>(build: () => Compilable<R>): (parameters: readonly unknown[]) => CompiledQuery<R> {
  let compiled: CompiledQuery<R> | undefined;
  return (parameters) => {
    compiled ??= build().compile();
    return { ...compiled, parameters };
  };
}

/** Runs, and the one-query mint context, on Kysely. */
export function runRows(db: IssuerDb): RunRepository {
  const runById = precompiled(() => db.selectFrom("issuer_runs").selectAll().where("id", "=", ""));
  const mintContext = precompiled(() =>
    db
      .selectFrom("issuer_runs as r")
      .innerJoin("issuer_organizations as o", "o.id", "r.organization_id")
      .innerJoin("issuer_projects as p", "p.id", "r.project_id")
      .innerJoin("issuer_environments as e", "e.id", "r.environment_id")
      .selectAll("r")
      .select([
        "o.name as o_name",
        "o.settings as o_settings",
        "o.created_at as o_created_at",
        "p.name as p_name",
        "p.sub_template as p_sub_template",
        "p.created_at as p_created_at",
        "e.name as e_name",
        "e.created_at as e_created_at",
      ])
      .where("r.request_token_hash", "=", ""),
  );
  return {
    async createRun(run: Run, requestTokenHash: string): Promise<void> {
      await unique("run already exists", () =>
        db
          .insertInto("issuer_runs")
          .values({
            id: run.id,
            organization_id: run.organizationId,
            project_id: run.projectId,
            environment_id: run.environmentId,
            phase: run.phase,
            deployer: run.deployer,
            attributes: JSON.stringify(run.attributes),
            request_token_hash: requestTokenHash,
            status: run.status,
            created_at: run.createdAt,
            expires_at: run.expiresAt,
            completed_at: run.completedAt,
          })
          .execute(),
      );
    },
    async getRun(id: string): Promise<Run | undefined> {
      const r = (await db.executeQuery(runById([id]))).rows[0];
      return r && toRun(r);
    },
    async getRunByRequestTokenHash(hash: string): Promise<Run | undefined> {
      const r = await db
        .selectFrom("issuer_runs")
        .selectAll()
        .where("request_token_hash", "=", hash)
        .executeTakeFirst();
      return r && toRun(r);
    },
    async getMintContext(hash: string): Promise<MintContext | undefined> {
      const r = (await db.executeQuery(mintContext([hash]))).rows[0];
      if (!r) return undefined;
      return {
        run: toRun(r),
        organization: toOrganization({
          id: r.organization_id,
          name: r.o_name,
          settings: r.o_settings,
          created_at: r.o_created_at,
        }),
        project: toProject({
          id: r.project_id,
          organization_id: r.organization_id,
          name: r.p_name,
          sub_template: r.p_sub_template,
          created_at: r.p_created_at,
        }),
        environment: toEnvironment({
          id: r.environment_id,
          organization_id: r.organization_id,
          project_id: r.project_id,
          name: r.e_name,
          created_at: r.e_created_at,
        }),
      };
    },

    async listRuns(filter: RunFilter): Promise<Run[]> {
      let q = db.selectFrom("issuer_runs").selectAll().where("organization_id", "=", filter.organizationId);
      if (filter.projectId) q = q.where("project_id", "=", filter.projectId);
      if (filter.environmentId) q = q.where("environment_id", "=", filter.environmentId);
      if (filter.status) q = q.where("status", "=", filter.status);
      const rows = await q.orderBy("created_at", "desc").orderBy("id").limit(filter.limit).execute();
      return rows.map(toRun);
    },
    async completeRun(id: string, status: RunStatus, at: number): Promise<boolean> {
      const r = await db
        .updateTable("issuer_runs")
        .set({ status, completed_at: at })
        .where("id", "=", id)
        .where("status", "=", "running")
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
