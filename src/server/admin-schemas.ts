import { z } from "zod";
import { PROFILES } from "../issuer/model.js";

/**
 * Wire shapes of the admin API, validated with zod. Objects are strict: an unknown field is a mistake
 * the caller should hear about (a typo in `maxLifetimeSecond` must not silently keep the default).
 */
const seconds = z.number().int().positive();
const audience = z.string().min(1).max(256);

export const SessionTagsBody = z.strictObject({
  enabled: z.boolean(),
  keys: z.array(z.string()).max(100),
  transitive: z.array(z.string()).max(100).default([]),
});

const orgFields = {
  profile: z.enum(PROFILES).optional(),
  issuerUrl: z.string().max(1024).nullable().optional(),
  subTemplate: z.string().max(2000).nullable().optional(),
  allowedAudiences: z.array(audience).max(100).optional(),
  defaultAudience: audience.nullable().optional(),
  defaultLifetimeSeconds: seconds.optional(),
  maxLifetimeSeconds: seconds.optional(),
  runTimeoutSeconds: seconds.optional(),
  sessionTags: SessionTagsBody.optional(),
  profileOptions: z.record(z.string().max(64), z.string().max(256)).optional(),
};

export const OrganizationCreateBody = z.strictObject({ name: z.string(), ...orgFields });
export const OrganizationUpdateBody = z.strictObject({ name: z.string().optional(), ...orgFields });

export const ProjectCreateBody = z.strictObject({
  name: z.string(),
  subTemplate: z.string().max(2000).nullable().optional(),
});
export const ProjectUpdateBody = z.strictObject({
  name: z.string().optional(),
  subTemplate: z.string().max(2000).nullable().optional(),
});
export const EnvironmentBody = z.strictObject({ name: z.string() });
export const EnvironmentUpdateBody = z.strictObject({ name: z.string().optional() });

const runFields = {
  environmentId: z.string().min(1),
  phase: z.string(),
  deployer: z.string(),
  attributes: z.record(z.string(), z.string()).optional(),
  timeoutSeconds: seconds.optional(),
};
export const RunCreateBody = z.strictObject(runFields);
export const RunCompleteBody = z
  .strictObject({ status: z.enum(["succeeded", "failed", "cancelled"]).default("succeeded") })
  .default({ status: "succeeded" });

const requestFields = { audience: audience.optional(), lifetimeSeconds: seconds.optional() };
export const PreviewBody = z.union([
  z.strictObject({ runId: z.string().min(1), ...requestFields }),
  z.strictObject({ ...runFields, ...requestFields }),
]);

export const OrgApiKeyBody = z.strictObject({
  name: z.string(),
  scope: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("org_admin") }),
    z.strictObject({ kind: z.literal("runner"), projectId: z.string().min(1) }),
  ]),
});
export const AdminApiKeyBody = z.strictObject({ name: z.string() });

export const RotateBody = z
  .strictObject({ immediate: z.boolean().default(false), algorithm: z.enum(["RS256", "ES256"]).optional() })
  .default({ immediate: false });

/** A time in a query: epoch milliseconds or an ISO 8601 date-time (`2026-11-30T01:00:00Z`). */
const instant = z.union([
  z.coerce.number().int(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  /** A project's id or name. */
  projectId: z.string().optional(),
  /** An environment's id or name (a name needs the project too). */
  environmentId: z.string().optional(),
  status: z.enum(["running", "succeeded", "failed", "cancelled"]).optional(),
  action: z.string().optional(),
  /** An action's first part: `run` for `run.create` and `run.complete`. */
  kind: z
    .string()
    .regex(/^[a-z][a-z-]*(\.[a-z][a-z-]*)*$/, "kind is an action or its first part, e.g. run or token.mint")
    .optional(),
  actor: z.string().optional(),
  before: instant.optional(),
  after: instant.optional(),
});

export const TokenQuery = z.object({
  audience: audience.optional(),
  lifetime: z.coerce.number().int().positive().optional(),
  "api-version": z.string().optional(),
});
