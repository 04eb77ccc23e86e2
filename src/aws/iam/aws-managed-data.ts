import { type AwsManagedCatalog, EMPTY_CATALOG } from "./aws-managed.js";

/** The AWS managed policies the emulator serves. */
export function awsManagedPolicies(): AwsManagedCatalog {
  return EMPTY_CATALOG;
}
