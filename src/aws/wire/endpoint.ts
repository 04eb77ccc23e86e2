import { AwsError } from "./errors.js";
import { QueryParams } from "./params.js";
import { header, type SignedRequest } from "./sigv4.js";
import { renderError, renderSuccess, type XmlStruct } from "./xml.js";

/** One received HTTP request, independent of the server it came through (node:http, Fastify inject, …). */
export interface WireRequest extends SignedRequest {
  readonly remoteAddress?: string;
  /** Whether the request came over TLS (`keyless serve --aws-emulator`): `aws:SecureTransport`. */
  readonly secure?: boolean;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ActionContext<Caller> {
  /** The verified signer of the request; undefined only for actions that are not signed. */
  readonly caller: Caller;
  readonly requestId: string;
  readonly request: WireRequest;
}

export interface QueryAction<Caller> {
  /** Unsigned actions (AssumeRoleWithWebIdentity) are accepted with or without a signature; it is not read. */
  readonly unsigned?: boolean;
  run(
    params: QueryParams,
    context: ActionContext<Caller>,
  ): Promise<XmlStruct | undefined> | XmlStruct | undefined;
}

/** A service spoken on the shared endpoint: dispatched on `Version`, then `Action`. */
export interface QueryService<Caller> {
  readonly version: string;
  readonly namespace: string;
  /** SigV4 signing name (`sts`, `iam`). */
  readonly signingName: string;
  readonly actions: Readonly<Record<string, QueryAction<Caller>>>;
}

export interface QueryEndpointOptions<Caller> {
  readonly services: readonly QueryService<Caller>[];
  readonly authenticate: (request: WireRequest, service: QueryService<Caller>) => Promise<Caller>;
  readonly newRequestId: () => string;
  /**
   * Failures that are not bugs although not AwsErrors (the store unavailable for now), given as the
   * AwsError the client gets; undefined for anything else.
   */
  readonly classifyError?: (error: unknown) => AwsError | undefined;
  /** Told about every failure that is not an AwsError (a bug): the client gets InternalFailure. */
  readonly onInternalError?: (error: unknown, requestId: string) => void;
  /** Told the outcome of every request (for metrics): the action if known, the AWS error code on failure. */
  readonly onOutcome?: (action: string | undefined, code: string | undefined, status: number) => void;
}

export type QueryEndpoint = (request: WireRequest) => Promise<WireResponse>;

const FORM = /^application\/x-www-form-urlencoded\b/i;

/**
 * The AWS Query protocol on one endpoint for several services: parse the form body and/or the query
 * string, pick the service by `Version` (or, when `Version` is absent, by which service has the `Action`:
 * emulator choice; AWS requires it), authenticate signed actions, run, and render the XML result or the
 * AWS error envelope with `x-amzn-RequestId` equal to the body's RequestId. Never throws.
 */
export function createQueryEndpoint<Caller>(options: QueryEndpointOptions<Caller>): QueryEndpoint {
  const byVersion = new Map(options.services.map((s) => [s.version, s]));
  const fallbackNamespace = options.services[0]?.namespace ?? "";

  return async (request) => {
    const requestId = options.newRequestId();
    let namespace = fallbackNamespace;
    let known: string | undefined;
    try {
      const params = readParams(request);
      const action = params.string("Action");
      known = action;
      const version = params.string("Version");
      let service = version === undefined ? undefined : byVersion.get(version);
      if (version === undefined && action !== undefined) {
        service = options.services.find((s) => Object.hasOwn(s.actions, action));
      }
      if (service) namespace = service.namespace;
      if (action === undefined || action === "") {
        throw new AwsError("MissingAction", "Missing Action", 400);
      }
      const handler = service && Object.hasOwn(service.actions, action) ? service.actions[action] : undefined;
      if (!service || !handler) {
        throw new AwsError(
          "InvalidAction",
          `Could not find operation ${action} for version ${version ?? "NO_VERSION_SPECIFIED"}`,
        );
      }
      const caller = handler.unsigned ? (undefined as Caller) : await options.authenticate(request, service);
      const result = await handler.run(params, { caller, requestId, request });
      options.onOutcome?.(action, undefined, 200);
      return xml(200, requestId, renderSuccess(action, service.namespace, result, requestId));
    } catch (error) {
      let failure: AwsError;
      const classified = error instanceof AwsError ? error : options.classifyError?.(error);
      if (classified) failure = classified;
      else {
        options.onInternalError?.(error, requestId);
        failure = new AwsError(
          "InternalFailure",
          "The request processing has failed because of an unknown error, exception or failure.",
        );
      }
      options.onOutcome?.(known, failure.code, failure.status);
      return xml(failure.status, requestId, renderError(namespace, failure, requestId));
    }
  };
}

function readParams(request: WireRequest): QueryParams {
  const q = request.url.indexOf("?");
  const fromQuery = q < 0 ? undefined : QueryParams.parse(request.url.slice(q + 1));
  const contentType = header(request.headers, "content-type");
  const fromBody =
    request.body !== "" && (contentType === undefined || FORM.test(contentType))
      ? QueryParams.parse(request.body)
      : undefined;
  if (fromQuery && fromBody) return QueryParams.merge(fromQuery, fromBody);
  return fromBody ?? fromQuery ?? QueryParams.parse("");
}

function xml(status: number, requestId: string, body: string): WireResponse {
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
    body,
  };
}
