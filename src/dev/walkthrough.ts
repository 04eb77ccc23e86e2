import { relative } from "node:path";
import { platformById } from "../platforms/index.js";
import { DEMO } from "./demo.js";
import type { DevInfo } from "./start.js";

/** The copy-paste walkthrough `keyless dev` prints; every line works as printed. */
export function walkthrough(info: DevInfo, cwd = process.cwd()): string {
  const rel = (path: string) => {
    const r = relative(cwd, path);
    return r.startsWith("..") ? path : r;
  };
  const q = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const request = platformById("keyless").tokenSource!.request!;
  const org = `--org ${DEMO.organization} --project ${DEMO.project}`;
  return `keyless dev is running (Ctrl-C stops it)
  issuer        ${info.issuerUrl}   (/.well-known/openid-configuration)
  AWS emulator  ${info.awsEndpoint}   IAM + STS; accounts ${info.toolingAccount} (tooling), ${info.workloadAccount} (workload)
  local CA      ${rel(info.caFile)}
  dev.json      ${rel(`${info.dataDir}/dev.json`)}   (admin key, the demo run's request URL and token; 0600)

In another terminal, from this directory:

  # 1. the demo run (organization demo, project infra, environment staging, phase apply), as a job sees it
  export ${request.urlVariable}=${q(info.requestUrl)}
  export ${request.tokenVariable}=${q(info.requestToken)}
  export NODE_EXTRA_CA_CERTS=${q(rel(info.caFile))} AWS_ENDPOINT_URL_STS=${info.awsEndpoint} AWS_REGION=${info.region}

  # 2. the run's ID token, decoded
  npx keyless token | npx keyless decode -

  # 3. AWS credentials for the staging role, then who you are
  eval "$(npx keyless assume --role-arn ${info.roleArn})"
  aws sts get-caller-identity

  # 4. a command under credentials that renew themselves, chained into the workload account
  npx keyless exec --role-arn ${info.roleArn} --chain-role-arn ${info.chainRoleArn} -- aws sts get-caller-identity

  # 5. the admin side, as a CI controller: start a second run (production, plan) and hand its job the token source
  export KEYLESS_SERVER=${q(info.issuerUrl)} KEYLESS_API_KEY="$(cat ${q(rel(info.adminKeyFile))})"
  env $(npx keyless run start ${org} --environment ${DEMO.environments[1]} --phase plan --format dotenv) npx keyless token | npx keyless decode -

  # 6. the runs so far, and the audit log
  npx keyless run list --org ${DEMO.organization}
  npx keyless audit list --org ${DEMO.organization} --limit 8

  # 7. a refusal, explained: a staging run may not assume the production role
  npx keyless assume --role-arn ${info.refusedRoleArn}
`;
}
