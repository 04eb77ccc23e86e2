export * from "./arn.js";
export * from "./identifiers.js";
export * from "./time.js";
