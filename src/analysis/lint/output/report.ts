import type { Finding } from "../findings.js";

export interface Report {
  readonly findings: readonly Finding[];
  readonly suppressed: readonly { readonly finding: Finding; readonly reason: string }[];
  readonly policies: number;
}
