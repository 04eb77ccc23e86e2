// node:crypto in the browser bundle. The platform records hash only when the issuer builds env0 claims
// (src/platforms/env0.ts), which the console never does in the page: the playground decides and lints.
export function createHash(): never {
  throw new Error("hashing is not available in the console page");
}
