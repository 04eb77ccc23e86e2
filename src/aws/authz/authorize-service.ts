import { type Caller, callerAccount } from "../credentials/caller.js";
import type { ActionContext, QueryAction, QueryService } from "../wire/endpoint.js";
import { AwsError } from "../wire/errors.js";
import type { QueryParams } from "../wire/params.js";
import { header } from "../wire/sigv4.js";
import type { XmlStruct } from "../wire/xml.js";
import type { Authorizer, AuthzDecision, AuthzRequest } from "./authorizer.js";

/** What one call was and how it ended, for the decision log: told once per call, after it ran. */
export interface CallRecord {
  readonly service: "iam" | "sts";
  readonly action: string;
  readonly params: QueryParams;
  readonly context: ActionContext<Caller>;
  readonly authz?: { readonly request: AuthzRequest; readonly decision: AuthzDecision };
  readonly error?: AwsError;
  /** The action's result on success (AssumeRoleWithWebIdentity's names the provider and subject). */
  readonly result?: XmlStruct;
}

export type CallRecorder = (record: CallRecord) => void;

/** How to describe an action of the service for authorization; undefined: the action is not authorized here. */
export type Describe = (
  action: string,
  params: QueryParams,
  account: string,
) => Promise<Pick<AuthzRequest, "resource" | "context">> | undefined;

/**
 * Wraps every signed action of a service: authorize `<prefix>:<Action>` before it runs (refusing with
 * AWS's AccessDenied and message), then tell the recorder how the call ended. Unsigned actions
 * (AssumeRoleWithWebIdentity) and actions `describe` leaves out are recorded, not authorized.
 */
export function authorizeService(
  service: QueryService<Caller>,
  prefix: "iam" | "sts",
  authorizer: Authorizer | undefined,
  describe: Describe,
  record: CallRecorder | undefined,
): QueryService<Caller> {
  const actions: Record<string, QueryAction<Caller>> = {};
  for (const [name, action] of Object.entries(service.actions)) {
    actions[name] = {
      ...(action.unsigned ? { unsigned: true } : {}),
      run: async (params, context) => {
        let authz: CallRecord["authz"];
        try {
          const described =
            action.unsigned || !authorizer
              ? undefined
              : describe(name, params, callerAccount(context.caller));
          if (described && authorizer) {
            const request: AuthzRequest = {
              action: `${prefix}:${name}`,
              ...(await described),
              ...origin(context),
            };
            const decision = await authorizer.authorize(context.caller, request);
            authz = { request, decision };
            if (!decision.allowed) throw new AwsError("AccessDenied", decision.message ?? "Access denied");
          }
          const result = await action.run(params, context);
          record?.({
            service: prefix,
            action: name,
            params,
            context,
            ...(authz ? { authz } : {}),
            ...(result ? { result } : {}),
          });
          return result;
        } catch (error) {
          if (record && error instanceof AwsError) {
            record({ service: prefix, action: name, params, context, ...(authz ? { authz } : {}), error });
          }
          throw error;
        }
      },
    };
  }
  return { ...service, actions };
}

function origin(c: ActionContext<Caller>): {
  sourceIp?: string;
  userAgent?: string;
  secureTransport?: boolean;
} {
  const ua = header(c.request.headers, "user-agent");
  return {
    ...(c.request.remoteAddress ? { sourceIp: c.request.remoteAddress.replace(/^::ffff:/, "") } : {}),
    ...(ua ? { userAgent: ua } : {}),
    ...(c.request.secure ? { secureTransport: true } : {}),
  };
}
