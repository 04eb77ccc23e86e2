import { parseFederatedProviderArn, parsePrincipalArn } from "../aws/arn.js";
import { isAccountId } from "../aws/identifiers.js";
import { IAM_MESSAGES, PolicyError } from "./errors.js";
import { type Json, parseJsonStrict } from "./json.js";
import { BASE_OPERATORS } from "./operators.js";
import type {
  BaseOperator,
  Condition,
  ConditionOperator,
  Effect,
  Policy,
  PrincipalBlock,
  PrincipalType,
  Statement,
} from "./types.js";

/**
 * Which rules apply: a role's trust policy (Principal required, sts actions only, no Resource), an
 * identity policy (no Principal, Resource required), a resource policy, or `any` for the grammar alone.
 */
export type PolicyKind = "trust" | "identity" | "resource" | "any";

const STATEMENT_FIELDS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);
const PRINCIPAL_TYPES = new Set<PrincipalType>(["AWS", "Federated", "Service", "CanonicalUser"]);
const OPERATOR_NAMES = new Set<string>(BASE_OPERATORS);

/** Parses and validates a policy document the way IAM does; throws PolicyError (MalformedPolicyDocument). */
export function parsePolicy(document: string | Json, options: { kind?: PolicyKind } = {}): Policy {
  const kind = options.kind ?? "any";
  const json = typeof document === "string" ? parseJsonStrict(document) : document;
  if (!isObject(json)) throw new PolicyError(IAM_MESSAGES.syntax, "the policy must be a JSON object");
  for (const field of Object.keys(json)) {
    if (field !== "Version" && field !== "Id" && field !== "Statement") {
      throw new PolicyError(IAM_MESSAGES.syntax, `unknown top-level field "${field}"`);
    }
  }
  const version = json.Version;
  if (version !== undefined && version !== "2012-10-17" && version !== "2008-10-17") {
    throw new PolicyError(IAM_MESSAGES.version, `Version is ${JSON.stringify(version)}; use "2012-10-17"`);
  }
  if (json.Id !== undefined && typeof json.Id !== "string")
    throw new PolicyError(IAM_MESSAGES.syntax, "Id must be a string");
  const raw = json.Statement;
  if (raw === undefined) throw new PolicyError(IAM_MESSAGES.syntax, "the policy has no Statement");
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new PolicyError(IAM_MESSAGES.statementEmpty);

  const sids = new Set<string>();
  const statements = list.map((s, index) => {
    const statement = parseStatement(s, index, kind);
    if (statement.sid !== undefined && statement.sid !== "") {
      if (sids.has(statement.sid))
        throw new PolicyError(IAM_MESSAGES.sidNotUnique, `Sid "${statement.sid}" appears twice`);
      sids.add(statement.sid);
    }
    return statement;
  });
  return { version: version as Policy["version"], id: json.Id as string | undefined, statements };
}

function parseStatement(json: Json, index: number, kind: PolicyKind): Statement {
  const where = `statement ${index}`;
  if (!isObject(json)) throw new PolicyError(IAM_MESSAGES.syntax, `${where} is not a JSON object`);
  for (const field of Object.keys(json)) {
    if (!STATEMENT_FIELDS.has(field))
      throw new PolicyError(IAM_MESSAGES.syntax, `${where} has an unknown field "${field}"`);
  }
  const sid = json.Sid;
  if (sid !== undefined) {
    if (typeof sid !== "string") throw new PolicyError(IAM_MESSAGES.syntax, `${where}: Sid must be a string`);
    if (kind !== "resource" && !/^[0-9A-Za-z]*$/.test(sid))
      throw new PolicyError(IAM_MESSAGES.sidCharset, `Sid "${sid}"`);
  }
  const label = sid ? `statement ${index} ("${sid}")` : where;

  if (json.Effect === undefined) throw new PolicyError(IAM_MESSAGES.missingField("Effect"), label);
  if (json.Effect !== "Allow" && json.Effect !== "Deny") {
    throw new PolicyError(
      IAM_MESSAGES.syntax,
      `${label}: Effect must be "Allow" or "Deny", not ${JSON.stringify(json.Effect)}`,
    );
  }
  const effect: Effect = json.Effect;

  const principal = parsePrincipalElement(json, label, kind);
  const action = parseActionElement(json, label, kind);
  const resource = parseResourceElement(json, label, kind);
  const conditions = json.Condition === undefined ? [] : parseConditionBlock(json.Condition, label);
  return { index, sid, effect, principal, action, resource, conditions };
}

function parsePrincipalElement(
  json: { [key: string]: Json },
  label: string,
  kind: PolicyKind,
): Statement["principal"] {
  const has = json.Principal !== undefined;
  const hasNot = json.NotPrincipal !== undefined;
  if (has && hasNot)
    throw new PolicyError(IAM_MESSAGES.syntax, `${label} has both Principal and NotPrincipal`);
  if (kind === "identity" && (has || hasNot)) throw new PolicyError(IAM_MESSAGES.identityPrincipal, label);
  if (kind === "trust" && hasNot) throw new PolicyError(IAM_MESSAGES.trustNotPrincipal, label);
  if (kind === "trust" && !has) throw new PolicyError(IAM_MESSAGES.missingField("Principal"), label);
  if (!has && !hasNot) return undefined;
  const value = has ? json.Principal! : json.NotPrincipal!;
  return { negated: !has, block: parsePrincipalBlock(value, label) };
}

function parsePrincipalBlock(value: Json, label: string): PrincipalBlock {
  if (value === "*") return { kind: "any" };
  if (!isObject(value))
    throw new PolicyError(IAM_MESSAGES.syntax, `${label}: Principal must be "*" or an object`);
  const entries = new Map<PrincipalType, string[]>();
  for (const [type, ids] of Object.entries(value)) {
    if (!PRINCIPAL_TYPES.has(type as PrincipalType)) {
      throw new PolicyError(IAM_MESSAGES.syntax, `${label}: unknown principal type "${type}"`);
    }
    const list = stringList(ids, `${label}: Principal.${type}`);
    for (const id of list) validatePrincipal(type as PrincipalType, id, label);
    entries.set(type as PrincipalType, list);
  }
  if (entries.size === 0) throw new PolicyError(IAM_MESSAGES.syntax, `${label}: Principal is empty`);
  return { kind: "map", entries };
}

const UNIQUE_ID = /^A(ROA|IDA|GPA)[A-Z0-9]{13,}$/;
const DOMAIN = /^([a-z0-9-]+\.)+[a-z]{2,}(\/.*)?$/i;

function validatePrincipal(type: PrincipalType, id: string, label: string): void {
  if (type === "AWS") {
    if (id === "*" || isAccountId(id) || parsePrincipalArn(id) || UNIQUE_ID.test(id)) return;
    throw new PolicyError(IAM_MESSAGES.invalidPrincipal("AWS", id), label);
  }
  if (type === "Federated") {
    if (parseFederatedProviderArn(id) || DOMAIN.test(id)) return;
    throw new PolicyError(IAM_MESSAGES.federated, `${label}: "${id}"`);
  }
  if (id === "") throw new PolicyError(IAM_MESSAGES.invalidPrincipal(type, id), label);
}

const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9*?]*$/;
/** The STS actions a trust policy may name ("AssumeRole policy may only specify STS AssumeRole actions."). */
function isStsAction(pattern: string): boolean {
  return pattern === "*" || pattern.toLowerCase().startsWith("sts:");
}

function parseActionElement(
  json: { [key: string]: Json },
  label: string,
  kind: PolicyKind,
): Statement["action"] {
  const has = json.Action !== undefined;
  const hasNot = json.NotAction !== undefined;
  if (has && hasNot) throw new PolicyError(IAM_MESSAGES.syntax, `${label} has both Action and NotAction`);
  if (!has && !hasNot) throw new PolicyError(IAM_MESSAGES.missingField("Action"), label);
  const patterns = stringList(
    has ? json.Action! : json.NotAction!,
    `${label}: ${has ? "Action" : "NotAction"}`,
  );
  for (const pattern of patterns) {
    if (pattern === "*") continue;
    const colons = pattern.split(":").length - 1;
    if (colons === 0) throw new PolicyError(IAM_MESSAGES.actionVendor, `${label}: action "${pattern}"`);
    if (colons > 1) throw new PolicyError(IAM_MESSAGES.actionColons, `${label}: action "${pattern}"`);
    if (!ACTION.test(pattern))
      throw new PolicyError(IAM_MESSAGES.syntax, `${label}: action "${pattern}" has invalid characters`);
    if (kind === "trust" && has && !isStsAction(pattern))
      throw new PolicyError(IAM_MESSAGES.trustActions, `${label}: action "${pattern}"`);
  }
  return { negated: !has, patterns };
}

function parseResourceElement(
  json: { [key: string]: Json },
  label: string,
  kind: PolicyKind,
): Statement["resource"] {
  const has = json.Resource !== undefined;
  const hasNot = json.NotResource !== undefined;
  if (kind === "trust" && has) throw new PolicyError(IAM_MESSAGES.trustResource, label);
  if (kind === "trust" && hasNot) throw new PolicyError(IAM_MESSAGES.trustNotResource, label);
  if (has && hasNot) throw new PolicyError(IAM_MESSAGES.syntax, `${label} has both Resource and NotResource`);
  if (kind === "identity" && !has && !hasNot) throw new PolicyError(IAM_MESSAGES.identityResource, label);
  if (!has && !hasNot) return undefined;
  const patterns = stringList(has ? json.Resource! : json.NotResource!, `${label}: Resource`);
  return { negated: !has, patterns };
}

const OPERATOR = /^(ForAllValues:|ForAnyValue:)?([A-Za-z]+?)(IfExists)?$/;

export function parseOperator(text: string): ConditionOperator | undefined {
  const match = OPERATOR.exec(text);
  if (!match) return undefined;
  const base = match[2]!;
  if (!OPERATOR_NAMES.has(base)) return undefined;
  const ifExists = match[3] !== undefined;
  // Null tests existence itself: IfExists on it is meaningless and IAM refuses it.
  if (base === "Null" && ifExists) return undefined;
  const set = match[1] ? (match[1].slice(0, -1) as "ForAllValues" | "ForAnyValue") : undefined;
  return { text, set, base: base as BaseOperator, ifExists };
}

function parseConditionBlock(json: Json, label: string): Condition[] {
  if (!isObject(json)) throw new PolicyError(IAM_MESSAGES.syntax, `${label}: Condition must be an object`);
  const conditions: Condition[] = [];
  for (const [operatorText, keys] of Object.entries(json)) {
    const operator = parseOperator(operatorText);
    if (!operator)
      throw new PolicyError(IAM_MESSAGES.syntax, `${label}: unknown condition operator "${operatorText}"`);
    if (!isObject(keys)) {
      throw new PolicyError(
        IAM_MESSAGES.syntax,
        `${label}: ${operatorText} must map condition keys to values`,
      );
    }
    for (const [key, values] of Object.entries(keys)) {
      if (!key.includes(":"))
        throw new PolicyError(IAM_MESSAGES.actionVendor, `${label}: condition key "${key}"`);
      conditions.push({ operator, key, values: conditionValues(values, `${label}: ${operatorText} ${key}`) });
    }
  }
  return conditions;
}

function conditionValues(json: Json, where: string): string[] {
  const list = Array.isArray(json) ? json : [json];
  return list.map((v) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new PolicyError(
      IAM_MESSAGES.syntax,
      `${where}: condition values must be strings, numbers or booleans`,
    );
  });
}

function stringList(json: Json, where: string): string[] {
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw new PolicyError(IAM_MESSAGES.syntax, `${where} is an empty list`);
  return list.map((v) => {
    if (typeof v !== "string")
      throw new PolicyError(IAM_MESSAGES.syntax, `${where} must hold strings, found ${JSON.stringify(v)}`);
    return v;
  });
}

function isObject(json: Json | undefined): json is { [key: string]: Json } {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}
