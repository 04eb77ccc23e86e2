import { isoSeconds } from "../../core/aws/time.js";
/**
 * The XML side of the AWS Query protocol. Results are plain objects rendered in key order; lists are
 * wrapped in `<member>` elements (IAM and STS lists are not flattened); undefined members are omitted.
 * Hand-written rather than an XML library: the output grammar is this small, and the emulator's hot path
 * (AssumeRoleWithWebIdentity under load) should not pay for a general serializer.
 */
export type XmlValue = string | number | boolean | Date | XmlStruct | XmlList | undefined;
export interface XmlStruct {
  readonly [element: string]: XmlValue;
}
export class XmlList {
  constructor(readonly members: readonly XmlValue[]) {}
}
export const members = (values: readonly XmlValue[]): XmlList => new XmlList(values);

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** Anything escapeXml changes: markup characters, or code units XML 1.0 cannot carry (surrogates checked below). */
const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function escapeXml(text: string): string {
  // Most values (keys, ARNs, timestamps, session tokens) need nothing: one scan instead of two replaces
  // on the AssumeRoleWithWebIdentity hot path.
  if (!NEEDS_ESCAPE.test(text)) return text;
  // Characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/F)
  // become U+FFFD so that a client's parser never fails on a value echoed from the request.
  return text
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replace(
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    );
}

function renderValue(value: XmlValue): string {
  if (value instanceof XmlList)
    return value.members.map((m) => `<member>${renderValue(m)}</member>`).join("");
  if (value instanceof Date) return isoSeconds(value.getTime());
  if (typeof value === "object" && value !== null) return renderStruct(value);
  if (value === undefined) return "";
  return escapeXml(String(value));
}

export function renderStruct(struct: XmlStruct): string {
  let out = "";
  for (const name in struct) {
    const value = struct[name];
    if (value === undefined) continue;
    out +=
      value instanceof XmlList && value.members.length === 0
        ? `<${name}/>`
        : `<${name}>${renderValue(value)}</${name}>`;
  }
  return out;
}

/** `<OpResponse xmlns=ns><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata></OpResponse>`;
 * operations without output members get the Response element with only ResponseMetadata. */
export function renderSuccess(
  action: string,
  namespace: string,
  result: XmlStruct | undefined,
  requestId: string,
): string {
  const body = result === undefined ? "" : `<${action}Result>${renderStruct(result)}</${action}Result>`;
  return `<${action}Response xmlns="${namespace}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function renderError(
  namespace: string,
  error: { type: string; code: string; message: string },
  requestId: string,
): string {
  return `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
