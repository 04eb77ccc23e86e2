import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPlan } from "../../../src/analysis/init/index.js";
import { checkSharedIssuerControls } from "../../../src/aws/iam/shared-issuers.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import {
  accountOfArn,
  isAccountId,
  isRoleSessionName,
  PARTITIONS,
  parseAssumedRoleArn,
  parseFederatedProviderArn,
  parsePrincipalArn,
  parseRoleArn,
  rootArn,
} from "../../../src/core/aws/index.js";
import { assumeRoleRequest } from "../../../src/core/federation/index.js";
import { matchPrincipal, parsePolicy } from "../../../src/core/policy/index.js";
import { selectRole, sessionName, validateRoleArn } from "../../../src/runner/role.js";
import { FULL } from "../analysis/init/helpers.js";

// One list of ARNs, good and bad, fed to every place that reads an ARN: the ARN module, the policy
// grammar (AWS and Federated principals), principal matching, the runner's role selection, the
// AssumeRole request `explain --caller` and the emulator build, the emulator's shared-issuer controls
// and init. They must all agree with the module, so that no two places can disagree again.

type Kind = "root" | "user" | "role" | "assumed-role" | "federated-user" | "oidc" | "saml";

const ACCOUNT = "123456789012";
const GITHUB = "token.actions.githubusercontent.com";

const good: [string, Kind][] = PARTITIONS.flatMap((p): [string, Kind][] => [
  [`arn:${p}:iam::${ACCOUNT}:root`, "root"],
  [`arn:${p}:iam::${ACCOUNT}:user/alice`, "user"],
  [`arn:${p}:iam::${ACCOUNT}:user/ops/team/alice`, "user"],
  [`arn:${p}:iam::${ACCOUNT}:role/deploy`, "role"],
  [`arn:${p}:iam::${ACCOUNT}:role/ci/team/deploy+x=y,z.@_-`, "role"],
  [`arn:${p}:iam::${ACCOUNT}:role/${"r".repeat(64)}`, "role"],
  [`arn:${p}:sts::${ACCOUNT}:assumed-role/deploy/ci@run-1`, "assumed-role"],
  [`arn:${p}:sts::${ACCOUNT}:assumed-role/deploy/GitHubActions-4242_x=y,z.`, "assumed-role"],
  [`arn:${p}:sts::${ACCOUNT}:assumed-role/deploy/${"s".repeat(64)}`, "assumed-role"],
  [`arn:${p}:sts::${ACCOUNT}:federated-user/bob`, "federated-user"],
  [`arn:${p}:iam::${ACCOUNT}:oidc-provider/${GITHUB}`, "oidc"],
  [
    `arn:${p}:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B7`,
    "oidc",
  ],
  [`arn:${p}:iam::${ACCOUNT}:saml-provider/corp`, "saml"],
]);

const bad: string[] = [
  "arn:aws:iam::12345678901:role/deploy", // 11 digits
  "arn:aws:iam::1234567890123:role/deploy", // 13 digits
  "arn:aws:iam::12345678901a:role/deploy",
  "arn:aws:iam::12345678901a:root",
  "arn:aws:sts::12345678901:assumed-role/deploy/ci",
  "arn:aws:iam::12345678901:oidc-provider/token.actions.githubusercontent.com",
  "arn:aws-foo:iam::123456789012:role/deploy", // unknown partition
  "arn:awsx:iam::123456789012:root",
  "arn::iam::123456789012:role/deploy",
  "arn:aws-foo:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
  "arn:aws:iam:us-east-1:123456789012:role/deploy", // IAM has no region
  "arn:aws:iam::123456789012:role/", // no name
  "arn:aws:iam::123456789012:role/ci/", // a path, no name
  "arn:aws:iam::123456789012:role/a b",
  "arn:aws:iam::123456789012:role/deploy*",
  `arn:aws:iam::123456789012:role/${"r".repeat(65)}`,
  "arn:aws:sts::123456789012:assumed-role/deploy", // no session
  "arn:aws:sts::123456789012:assumed-role/deploy/bad session",
  "arn:aws:sts::123456789012:assumed-role/deploy/ci/extra",
  `arn:aws:sts::123456789012:assumed-role/deploy/${"s".repeat(65)}`,
  "arn:aws:iam::123456789012:assumed-role/deploy/ci", // sessions are STS's
  "arn:aws:sts::123456789012:role/deploy", // roles are IAM's
  "arn:aws:sts::123456789012:root",
  "ARN:aws:iam::123456789012:role/deploy",
  "arn:aws:iam::123456789012:role/deploy ",
  " arn:aws:iam::123456789012:role/deploy",
  "arn:aws:iam::123456789012:oidc-provider/",
  "arn:aws:iam::123456789012:saml-provider/",
  "arn:aws:s3:::bucket",
  "arn:aws:iam::123456789012:group/admins",
];

const PRINCIPAL_KINDS: readonly Kind[] = ["root", "user", "role", "assumed-role", "federated-user"];
const all: [string, Kind | undefined][] = [
  ...good,
  ...bad.map((arn): [string, undefined] => [arn, undefined]),
];

const trust = (principal: Record<string, string>, action = "sts:AssumeRole") => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: principal, Action: action }],
});
const accepts = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

describe("every ARN reader agrees with src/core/aws/arn.ts", () => {
  test("the module: each good ARN has its kind and account, each bad one none", () => {
    for (const [arn, kind] of all) {
      const principal = parsePrincipalArn(arn);
      const provider = parseFederatedProviderArn(arn);
      const found = principal?.kind ?? provider?.kind;
      assert.equal(found, kind, arn);
      if (kind !== undefined) assert.equal((principal ?? provider)!.account, ACCOUNT, arn);
      if (kind !== undefined && kind !== "saml" && kind !== "federated-user")
        assert.equal(accountOfArn(arn), ACCOUNT, arn);
      if (kind === undefined) assert.equal(accountOfArn(arn), undefined, arn);
    }
  });

  test("the policy grammar: an AWS principal iff the module says principal, Federated iff provider", () => {
    for (const [arn, kind] of all) {
      const isPrincipal = kind !== undefined && PRINCIPAL_KINDS.includes(kind);
      assert.equal(
        accepts(() => parsePolicy(trust({ AWS: arn }), { kind: "trust" })),
        isPrincipal,
        arn,
      );
      const isProvider = kind === "oidc" || kind === "saml";
      assert.equal(
        accepts(() =>
          parsePolicy(trust({ Federated: arn }, "sts:AssumeRoleWithWebIdentity"), { kind: "trust" }),
        ),
        isProvider,
        arn,
      );
    }
  });

  test("principal matching: an account root delegates to its account in every partition", () => {
    for (const [arn, kind] of good) {
      if (kind !== "root") continue;
      const policy = parsePolicy(trust({ AWS: arn }), { kind: "trust" });
      const partition = arn.split(":")[1]!;
      const match = matchPrincipal(policy.statements[0]!.principal!.block, {
        type: "AWS",
        arn: `arn:${partition}:sts::${ACCOUNT}:assumed-role/deploy/ci`,
        account: ACCOUNT,
      });
      assert.ok(match.matched && match.via === "account", arn);
    }
  });

  test("the runner: --role-arn, the role variables and --chain-role-arn take exactly the role ARNs", () => {
    for (const [arn, kind] of all) {
      assert.equal(
        accepts(() => validateRoleArn(arn, "--chain-role-arn")),
        kind === "role",
        arn,
      );
      assert.equal(
        accepts(() => selectRole(arn, {}, {})),
        kind === "role",
        arn,
      );
      assert.equal(
        accepts(() => selectRole(undefined, { KEYLESS_ROLE_ARN: arn }, {})),
        kind === "role",
        arn,
      );
      assert.equal(kind === "role", parseRoleArn(arn) !== undefined, arn);
    }
  });

  test("the AssumeRole request (explain --caller, the emulator's STS): root, user and role sessions", () => {
    for (const [arn, kind] of all) {
      const ok = kind === "root" || kind === "user" || kind === "assumed-role";
      assert.equal(
        accepts(() => assumeRoleRequest({ caller: { arn }, roleSessionName: "ci", now: 0 })),
        ok,
        arn,
      );
      if (!ok) continue;
      const request = assumeRoleRequest({ caller: { arn }, roleSessionName: "ci", now: 0 });
      assert.equal(request.principal.account, ACCOUNT, arn);
      if (kind === "assumed-role") {
        // The session's role, in the session's partition, which is what a role principal matches.
        const role = parseRoleArn(request.principal.roleArn!);
        assert.equal(role?.name, parseAssumedRoleArn(arn)!.roleName, arn);
        assert.equal(role?.partition, parseAssumedRoleArn(arn)!.partition, arn);
      }
    }
  });

  test("the emulator's shared-issuer controls recognise a shared provider's ARN in every partition", () => {
    for (const [arn, kind] of good) {
      if (kind !== "oidc" || !arn.endsWith(GITHUB)) continue;
      const policy = parsePolicy(trust({ Federated: arn }, "sts:AssumeRoleWithWebIdentity"), {
        kind: "trust",
      });
      assert.throws(
        () => checkSharedIssuerControls(policy),
        (e: unknown) => e instanceof AwsError && e.code === "MalformedPolicyDocument",
        arn,
      );
    }
  });
});

describe("account ids and session names: one grammar each", () => {
  const accounts: [string, boolean][] = [
    ["123456789012", true],
    ["000000000000", true],
    ["12345678901", false],
    ["1234567890123", false],
    ["12345678901a", false],
    [" 123456789012", false],
    ["", false],
  ];

  test("an account id is valid for isAccountId, a root ARN, the policy grammar and init alike", () => {
    for (const [account, ok] of accounts) {
      assert.equal(isAccountId(account), ok, account);
      assert.equal(parsePrincipalArn(rootArn(account))?.kind === "root", ok, account);
      assert.equal(
        accepts(() => parsePolicy(trust({ AWS: account }), { kind: "trust" })),
        ok,
        account,
      );
      assert.equal(
        accepts(() =>
          buildPlan({
            platform: "github",
            scope: FULL.github,
            toolingAccount: account,
            workloadAccounts: [],
          }),
        ),
        ok,
        account,
      );
    }
  });

  const sessions: [string, boolean][] = [
    ["ci", true],
    ["ci@run_1+x=y,z.-", true],
    ["s".repeat(64), true],
    ["x", false],
    ["s".repeat(65), false],
    ["has space", false],
    ["a/b", false],
    ["a:b", false],
  ];

  test("a RoleSessionName is valid for the runner's --session-name, the module and a session ARN alike", () => {
    for (const [name, ok] of sessions) {
      assert.equal(isRoleSessionName(name), ok, name);
      assert.equal(
        accepts(() => sessionName(name, {}, {})),
        ok,
        name,
      );
      if (ok)
        assert.equal(
          parseAssumedRoleArn(`arn:aws:sts::${ACCOUNT}:assumed-role/deploy/${name}`)?.sessionName,
          name,
        );
    }
    // Names the runner makes from a run are valid by construction.
    for (const run of ["x", "run/with:odd chars", "r".repeat(100)])
      assert.ok(isRoleSessionName(sessionName(undefined, {}, { run_id: run })), run);
  });
});
