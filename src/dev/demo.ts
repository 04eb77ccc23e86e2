import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { parseOidcProviderArn, roleArn } from "../core/aws/arn.js";
import { providerArn } from "../core/federation/provider.js";
import type { Actor } from "../issuer/authz.js";
import type { IssuerService } from "../issuer/service.js";

/**
 * The demo `keyless dev` seeds, idempotently (every start finds what the last one made): in the
 * issuer, organization `demo`, project `infra`, environments `staging` and `production`; in the
 * emulator, a tooling account with the issuer as OIDC provider and one role per environment whose
 * trust admits only that environment's apply runs (aud and sub pinned, nothing wider), and a workload
 * account role reachable only from the staging role by chaining. Each start makes a fresh demo run
 * (staging, apply) whose request URL and token go into dev.json.
 */
export const DEMO = {
  organization: "demo",
  project: "infra",
  environments: ["staging", "production"] as const,
  toolingAccount: "111111111111",
  workloadAccount: "222222222222",
  audience: "sts.amazonaws.com",
  region: "us-east-1",
} as const;

export const demoRoleArn = (environment: string) =>
  roleArn({ account: DEMO.toolingAccount, name: `demo-${environment}-apply` });
export const demoChainRoleArn = () => roleArn({ account: DEMO.workloadAccount, name: "demo-workload" });
export const demoSubject = (environment: string, phase = "apply") =>
  `org:${DEMO.organization}:project:${DEMO.project}:env:${environment}:phase:${phase}`;

export interface DemoRun {
  readonly requestUrl: string;
  readonly requestToken: string;
  readonly runId: string;
}

export async function seedIssuer(service: IssuerService, actor: Actor): Promise<DemoRun> {
  const organizations = await service.tenancy.listOrganizations(actor);
  const org =
    organizations.find((o) => o.name === DEMO.organization) ??
    (await service.tenancy.createOrganization(actor, {
      name: DEMO.organization,
      allowedAudiences: [DEMO.audience],
      defaultAudience: DEMO.audience,
      maxLifetimeSeconds: 3600,
    }));
  const projects = await service.tenancy.listProjects(actor, org.id);
  const project =
    projects.find((p) => p.name === DEMO.project) ??
    (await service.tenancy.createProject(actor, org.id, { name: DEMO.project }));
  const environments = await service.tenancy.listEnvironments(actor, org.id, project.id);
  const ids: Record<string, string> = {};
  for (const name of DEMO.environments) {
    ids[name] = (
      environments.find((e) => e.name === name) ??
      (await service.tenancy.createEnvironment(actor, org.id, project.id, { name }))
    ).id;
  }
  const created = await service.runs.createRun(actor, org.id, {
    environmentId: ids.staging!,
    phase: "apply",
    deployer: "dev@keyless.local",
    attributes: { ref: "refs/heads/main", trigger: "keyless-dev" },
    timeoutSeconds: 12 * 3600,
  });
  return { requestUrl: created.requestUrl, requestToken: created.requestToken, runId: created.run.id };
}

/** The AWS side, through the emulator's own IAM API with its static test credentials. */
export async function seedEmulator(endpoint: string, issuerUrl: string): Promise<void> {
  const client = (account: string) =>
    new IAMClient({
      endpoint,
      region: DEMO.region,
      maxAttempts: 1,
      credentials: { accessKeyId: account, secretAccessKey: "test" },
    });
  const tooling = client(DEMO.toolingAccount);
  const workload = client(DEMO.workloadAccount);
  const provider = providerArn(DEMO.toolingAccount, issuerUrl)!;
  const key = parseOidcProviderArn(provider)!.url;
  try {
    await ignoring("EntityAlreadyExists", () =>
      tooling.send(new CreateOpenIDConnectProviderCommand({ Url: issuerUrl, ClientIDList: [DEMO.audience] })),
    );
    for (const environment of DEMO.environments) {
      const trust = {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DemoApplyRuns",
            Effect: "Allow",
            Principal: { Federated: provider },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { [`${key}:aud`]: DEMO.audience, [`${key}:sub`]: demoSubject(environment) },
            },
          },
        ],
      };
      await upsertRole(tooling, `demo-${environment}-apply`, trust);
    }
    const workloadTrust = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "FromStagingDeploy",
          Effect: "Allow",
          Action: "sts:AssumeRole",
          Principal: { AWS: demoRoleArn("staging") },
        },
      ],
    };
    await upsertRole(workload, "demo-workload", workloadTrust);
    // Across accounts the caller's own policy must allow the hop too (only to the workload role).
    await tooling.send(
      new PutRolePolicyCommand({
        RoleName: "demo-staging-apply",
        PolicyName: "chain-to-workload",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: demoChainRoleArn() }],
        }),
      }),
    );
  } finally {
    tooling.destroy();
    workload.destroy();
  }
}

async function upsertRole(iam: IAMClient, name: string, trust: object): Promise<void> {
  const document = JSON.stringify(trust);
  const created = await ignoring("EntityAlreadyExists", () =>
    iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: document })),
  );
  // An existing role gets today's trust (the issuer's URL, hence the provider, follows --issuer-port).
  if (!created)
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: document }));
}

async function ignoring(code: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    // The JS SDK names modelled errors with an "Exception" suffix; the wire code has none.
    const e = error as { name?: string; Code?: string };
    if (e.Code === code || e.name === code || e.name === `${code}Exception`) return false;
    throw error;
  }
}
