/**
 * The AWS SDK for JavaScript warns on stderr, on every run under Node 20, that releases after
 * January 2027 will need Node 22. keyless supports Node ≥ 20 and its stderr carries one-line messages
 * meant for people and scripts, so the warning is switched off for keyless's own process; a child of
 * `keyless exec` gets the user's own setting back (childEnvironment).
 */
const VARIABLE = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";
const userSetting = process.env[VARIABLE];
process.env[VARIABLE] = "true";

export function withUserSdkSetting(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  if (userSetting === undefined) delete copy[VARIABLE];
  else copy[VARIABLE] = userSetting;
  return copy;
}
