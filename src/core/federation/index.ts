/** Web-identity federation rules: provider URL ↔ ARN ↔ key prefix, claims → request context, session tags. */
export * from "./assume-role.js";
export * from "./provider.js";
export * from "./session-tags.js";
export * from "./web-identity.js";
