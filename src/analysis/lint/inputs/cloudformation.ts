import { type CollectionTag, parseDocument, type ScalarTag, type YAMLMap, type YAMLSeq } from "yaml";
import { findTooDeep, MAX_JSON_DEPTH } from "../../../lib/json.js";
import { isRecord, LintInputError, OWN_ACCOUNT_PLACEHOLDER, type TrustPolicySource } from "./types.js";

/**
 * CloudFormation templates, JSON or YAML. Every `AWS::IAM::Role` with an `AssumeRolePolicyDocument` is a
 * trust policy. Intrinsic functions inside the document (`!Sub`, `!Ref`, `!GetAtt`, `Fn::Join`, …) are
 * folded into strings so the policy engine sees plain values: a `Ref` to a template parameter becomes its
 * Default when it has one, anything unresolvable becomes a `${…}` placeholder (which keeps, for example,
 * the provider host of `arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions…`).
 */
export function isCloudFormationDocument(doc: Record<string, unknown>): boolean {
  if ("AWSTemplateFormatVersion" in doc) return true;
  return (
    isRecord(doc.Resources) &&
    Object.values(doc.Resources).some((r) => isRecord(r) && typeof r.Type === "string")
  );
}

const INTRINSICS = [
  "Base64",
  "Cidr",
  "FindInMap",
  "GetAZs",
  "ImportValue",
  "Join",
  "Select",
  "Split",
  "Sub",
  "Transform",
  "And",
  "Equals",
  "If",
  "Not",
  "Or",
  "Length",
  "ToJsonString",
];

/** YAML short-form tags (`!Sub`, `!Ref`, …) as the long form they abbreviate. Each tag may carry a
 * scalar, a sequence or a mapping, so each gets three definitions. */
function cloudFormationTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  const define = (tag: string, wrap: (value: unknown) => unknown) => {
    tags.push({ tag, resolve: (str: string) => wrap(str) } as ScalarTag);
    tags.push({
      tag,
      collection: "seq",
      resolve: (seq: unknown) => wrap((seq as YAMLSeq).toJSON()),
    } as CollectionTag);
    tags.push({
      tag,
      collection: "map",
      resolve: (map: unknown) => wrap((map as YAMLMap).toJSON()),
    } as CollectionTag);
  };
  define("!Ref", (v) => ({ Ref: v }));
  define("!Condition", (v) => ({ Condition: v }));
  define("!GetAtt", (v) => ({ "Fn::GetAtt": typeof v === "string" ? v.split(".") : v }));
  for (const name of INTRINSICS) define(`!${name}`, (v) => ({ [`Fn::${name}`]: v }));
  return tags;
}

/**
 * A CloudFormation template from YAML. Nesting is bounded before and after parsing: the yaml library
 * recurses (deep flow collections exhaust its stack, and at 100,000 levels its memory) and so does
 * `fold` below; flow brackets are counted on the text first, block nesting on the result.
 * @throws LintInputError for text that is not YAML or nests deeper than MAX_JSON_DEPTH levels.
 */
export function parseCloudFormationYaml(file: string, text: string): unknown {
  const tooDeep = () =>
    new LintInputError(`${file}: not valid YAML: nesting deeper than ${MAX_JSON_DEPTH} levels`);
  if (flowDepth(text) > MAX_JSON_DEPTH) throw tooDeep();
  const doc = parseDocument(text, { customTags: cloudFormationTags(), uniqueKeys: false });
  const error = doc.errors[0];
  if (error) throw new LintInputError(`${file}: not valid YAML: ${error.message.split("\n")[0]}`);
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (findTooDeep(value) !== undefined) throw tooDeep();
  return value;
}

/**
 * The deepest nesting of YAML flow collections (`[`, `{`) in `text`, outside quoted scalars and comments.
 * An upper bound (a bracket inside a plain scalar counts too), which is what a guard needs.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = "";
  let previous = "\n"; // the last character that is not a space or a tab
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
      if (!quote) previous = c;
      continue;
    }
    if (c === " " || c === "\t") continue;
    // A quote opens a quoted scalar only where a scalar starts; `#` is a comment only after a space.
    if ((c === '"' || c === "'") && "\n[{,:-?".includes(previous)) quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    } else if (c === "[" || c === "{") max = Math.max(max, ++depth);
    else if ((c === "]" || c === "}") && depth > 0) depth--;
    previous = c;
  }
  return max;
}

export function readCloudFormation(file: string, template: Record<string, unknown>): TrustPolicySource[] {
  const resources = isRecord(template.Resources) ? template.Resources : {};
  const parameters = providerArns(resources, isRecord(template.Parameters) ? template.Parameters : {});
  const found: TrustPolicySource[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || resource.Type !== "AWS::IAM::Role") continue;
    const properties = isRecord(resource.Properties) ? resource.Properties : {};
    const document = properties.AssumeRolePolicyDocument;
    if (document === undefined) continue;
    const max = Number(fold(properties.MaxSessionDuration, parameters));
    found.push({
      file,
      location: logicalId,
      policy: bindDeployTimeProviders(fold(document, parameters)) as object,
      pointer: ["Resources", logicalId, "Properties", "AssumeRolePolicyDocument"],
      ...(Number.isInteger(max) ? { maxSessionDuration: max } : {}),
    });
  }
  return found;
}

/**
 * The template's `AWS::IAM::OIDCProvider` resources as what `Ref` and `Fn::GetAtt <Id>.Arn` return for
 * them, the provider's ARN
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-oidcprovider.html#aws-resource-iam-oidcprovider-return-values),
 * added to the parameters: `Federated: !Ref GithubOidc` is then the provider ARN it is at deploy time,
 * not a `${GithubOidc}` placeholder the policy engine refuses as a Federated principal.
 */
function providerArns(
  resources: Record<string, unknown>,
  parameters: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...parameters };
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || resource.Type !== "AWS::IAM::OIDCProvider") continue;
    const properties = isRecord(resource.Properties) ? resource.Properties : {};
    const url = fold(properties.Url, parameters);
    if (typeof url !== "string" || !url.startsWith("https://") || url.includes("${")) continue;
    const arn = `arn:aws:iam::${OWN_ACCOUNT_PLACEHOLDER}:oidc-provider/${url.slice("https://".length)}`;
    out[logicalId] = { Default: arn };
    out[`${logicalId}.Arn`] = { Default: arn };
  }
  return out;
}

/** Replace intrinsic-function objects by strings, recursively. */
function fold(value: unknown, parameters: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => fold(v, parameters));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0]!;
    const arg = value[key];
    if (key === "Ref") return ref(String(arg), parameters);
    if (key === "Fn::GetAtt") return ref(Array.isArray(arg) ? arg.join(".") : String(arg), parameters);
    if (key === "Fn::Sub") return sub(arg, parameters);
    if (key === "Fn::Join" && Array.isArray(arg) && Array.isArray(arg[1])) {
      return (arg[1] as unknown[]).map((part) => String(fold(part, parameters))).join(String(arg[0]));
    }
    if (key === "Fn::If" && Array.isArray(arg) && arg.length === 3) return ifBranch(arg, parameters);
    if (key.startsWith("Fn::")) return `\${${key}}`;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fold(v, parameters)]));
}

/**
 * `Fn::If [condition, then, else]`: the condition is a deploy-time fact, so the branch linted is the first
 * that folds to a value without a placeholder (AWS's GitHub sample writes
 * `Federated: !If [CreateOIDCProvider, !Ref GithubOidc, !Ref OIDCProviderArn]`); else the `then` branch.
 */
function ifBranch(arg: unknown[], parameters: Record<string, unknown>): unknown {
  const branches = [fold(arg[1], parameters), fold(arg[2], parameters)];
  return branches.find((b) => !JSON.stringify(b).includes("${")) ?? branches[0];
}

/**
 * A `Federated` principal only known at deploy time (`!Ref OIDCProviderArn`, a parameter without Default)
 * is the provider whose condition keys the statement uses: IAM reads `<host>:sub` from the token of the
 * provider for `<host>`, so a working template names that provider. With exactly one such host the
 * placeholder becomes its ARN; otherwise it stays, and the engine says the principal is not valid.
 */
function bindDeployTimeProviders(document: unknown): unknown {
  if (!isRecord(document)) return document;
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  for (const statement of statements) {
    if (!isRecord(statement) || !isRecord(statement.Principal)) continue;
    const federated = statement.Principal.Federated;
    const unknown = (v: unknown) => typeof v === "string" && /^\$\{[^}]*\}$/.test(v);
    if (!(Array.isArray(federated) ? federated.some(unknown) : unknown(federated))) continue;
    const hosts = new Set<string>();
    for (const keys of Object.values(isRecord(statement.Condition) ? statement.Condition : {})) {
      for (const key of Object.keys(isRecord(keys) ? keys : {})) {
        const host = key.slice(0, key.lastIndexOf(":")).toLowerCase();
        if (host.includes(".")) hosts.add(host);
      }
    }
    if (hosts.size !== 1) continue;
    const arn = `arn:aws:iam::${OWN_ACCOUNT_PLACEHOLDER}:oidc-provider/${[...hosts][0]}`;
    statement.Principal.Federated = Array.isArray(federated)
      ? federated.map((v) => (unknown(v) ? arn : v))
      : arn;
  }
  return document;
}

/** Pseudo parameters as stand-in values that keep ARNs well-formed (the account is a placeholder). */
const PSEUDO_PARAMETERS: Record<string, string> = {
  "AWS::AccountId": OWN_ACCOUNT_PLACEHOLDER,
  "AWS::Partition": "aws",
  "AWS::URLSuffix": "amazonaws.com",
  "AWS::Region": "us-east-1",
};

function ref(name: string, parameters: Record<string, unknown>): string {
  const pseudo = PSEUDO_PARAMETERS[name];
  if (pseudo !== undefined) return pseudo;
  const parameter = parameters[name];
  if (
    isRecord(parameter) &&
    (typeof parameter.Default === "string" || typeof parameter.Default === "number")
  ) {
    return String(parameter.Default);
  }
  return `\${${name}}`;
}

function sub(arg: unknown, parameters: Record<string, unknown>): string {
  const [template, vars] = Array.isArray(arg)
    ? [String(arg[0]), isRecord(arg[1]) ? arg[1] : {}]
    : [String(arg), {}];
  // `${Name}` is a variable, `${!Literal}` is an escaped literal `${Literal}`.
  return template.replace(/\$\{(!?)([^}]*)\}/g, (whole, bang: string, name: string) => {
    if (bang) return `\${${name}}`;
    if (name in vars) return String(fold((vars as Record<string, unknown>)[name], parameters));
    const pseudo = PSEUDO_PARAMETERS[name];
    if (pseudo !== undefined) return pseudo;
    if (name.startsWith("AWS::") || (name.includes(".") && !(name in parameters))) return whole;
    return ref(name, parameters);
  });
}
