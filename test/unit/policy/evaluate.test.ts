import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  decide,
  evaluate,
  parsePolicy,
  type Request,
  type RequestPrincipal,
  requestContext,
} from "../../../src/core/policy/index.js";
import { ACCOUNT, federated, GITHUB } from "./helpers.js";

const policy = (statements: unknown[], kind: "trust" | "any" | "identity" = "any") =>
  parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), { kind });
const request = (principal: RequestPrincipal, action: string, context = {}, resource?: string): Request => ({
  principal,
  action,
  context: requestContext(context),
  ...(resource ? { resource } : {}),
});
const roleSession = (account: string, role: string, session: string): RequestPrincipal => ({
  type: "AWS",
  arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
  account,
  roleArn: `arn:aws:iam::${account}:role/${role}`,
});

describe("the decision (UG:reference_policies_evaluation-logic)", () => {
  const allowAll = { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" };

  test("implicit deny when no statement applies", () => {
    const result = evaluate(
      policy([{ ...allowAll, Action: "sts:TagSession" }]),
      request(roleSession(ACCOUNT, "R", "s"), "sts:AssumeRole"),
    );
    assert.equal(result.decision, "deny");
    assert.equal(result.reason, "implicit-deny");
  });

  test("a Deny statement beats an Allow, whatever their order", () => {
    const deny = {
      Effect: "Deny",
      Principal: "*",
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:PrincipalTag/team": "red" } },
    };
    for (const statements of [
      [allowAll, deny],
      [deny, allowAll],
    ]) {
      const red = request(roleSession(ACCOUNT, "R", "s"), "sts:AssumeRole", {
        "aws:PrincipalTag/team": "red",
      });
      const blue = request(roleSession(ACCOUNT, "R", "s"), "sts:AssumeRole", {
        "aws:PrincipalTag/team": "blue",
      });
      assert.equal(evaluate(policy(statements), red).reason, "explicit-deny");
      assert.equal(decide(policy(statements), red), "deny");
      assert.equal(decide(policy(statements), blue), "allow");
    }
  });
});

describe("actions (UG:reference_policies_elements_action)", () => {
  test("service prefix and action name are case-insensitive; * and ? are wildcards", () => {
    const p = policy([{ Effect: "Allow", Principal: "*", Action: "STS:assumerole*" }]);
    assert.equal(decide(p, request(federated(), "sts:AssumeRoleWithWebIdentity")), "allow");
    assert.equal(decide(p, request(federated(), "sts:AssumeRole")), "allow");
    assert.equal(decide(p, request(federated(), "sts:TagSession")), "deny");
    const q = policy([{ Effect: "Allow", Principal: "*", Action: "sts:?agSession" }]);
    assert.equal(decide(q, request(federated(), "sts:TagSession")), "allow");
  });

  test("NotAction matches every action not listed", () => {
    const p = policy([{ Effect: "Allow", Principal: "*", NotAction: "sts:TagSession" }]);
    assert.equal(decide(p, request(federated(), "sts:AssumeRoleWithWebIdentity")), "allow");
    assert.equal(decide(p, request(federated(), "sts:TagSession")), "deny");
  });
});

describe("principals in trust policies (UG:reference_policies_elements_principal)", () => {
  const trust = (principal: unknown, action = "sts:AssumeRole") =>
    policy([{ Effect: "Allow", Principal: principal, Action: action }], "trust");

  test("Federated: the token's provider ARN, exactly", () => {
    const p = trust({ Federated: GITHUB }, "sts:AssumeRoleWithWebIdentity");
    assert.equal(decide(p, request(federated(GITHUB), "sts:AssumeRoleWithWebIdentity")), "allow");
    assert.equal(
      decide(
        p,
        request(
          federated(`arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.com`),
          "sts:AssumeRoleWithWebIdentity",
        ),
      ),
      "deny",
    );
    assert.equal(
      decide(
        p,
        request(
          federated(`arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com`),
          "sts:AssumeRoleWithWebIdentity",
        ),
      ),
      "deny",
    );
  });

  test('"AWS": "*" does not admit an OIDC caller; "Principal": "*" does (keyless choice, documented)', () => {
    assert.equal(
      decide(
        trust({ AWS: "*" }, "sts:AssumeRoleWithWebIdentity"),
        request(federated(), "sts:AssumeRoleWithWebIdentity"),
      ),
      "deny",
    );
    assert.equal(
      decide(
        trust("*", "sts:AssumeRoleWithWebIdentity"),
        request(federated(), "sts:AssumeRoleWithWebIdentity"),
      ),
      "allow",
    );
  });

  test("an account id or its root ARN admits the account's principals, by delegation", () => {
    for (const id of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      const result = evaluate(
        trust({ AWS: id }),
        request(roleSession(ACCOUNT, "Tooling", "s"), "sts:AssumeRole"),
      );
      assert.equal(result.decision, "allow");
      assert.equal(result.allowedVia, "account");
      assert.equal(
        decide(trust({ AWS: id }), request(roleSession("210987654321", "Tooling", "s"), "sts:AssumeRole")),
        "deny",
      );
    }
  });

  test("a role ARN admits every session of that role; a session ARN only that session", () => {
    const byRole = trust({ AWS: `arn:aws:iam::${ACCOUNT}:role/Tooling` });
    const result = evaluate(
      byRole,
      request(roleSession(ACCOUNT, "Tooling", "any-session"), "sts:AssumeRole"),
    );
    assert.equal(result.decision, "allow");
    assert.equal(result.allowedVia, "role");
    assert.equal(decide(byRole, request(roleSession(ACCOUNT, "Other", "s"), "sts:AssumeRole")), "deny");

    const bySession = trust({ AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/Tooling/ci` });
    assert.equal(
      decide(bySession, request(roleSession(ACCOUNT, "Tooling", "ci"), "sts:AssumeRole")),
      "allow",
    );
    assert.equal(
      decide(bySession, request(roleSession(ACCOUNT, "Tooling", "other"), "sts:AssumeRole")),
      "deny",
    );
  });

  test("a user ARN admits that user", () => {
    const user: RequestPrincipal = {
      type: "AWS",
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      account: ACCOUNT,
    };
    assert.equal(
      decide(trust({ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }), request(user, "sts:AssumeRole")),
      "allow",
    );
    assert.equal(
      decide(trust({ AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }), request(user, "sts:AssumeRole")),
      "deny",
    );
  });

  test("Service principals", () => {
    const svc: RequestPrincipal = { type: "Service", id: "ec2.amazonaws.com" };
    assert.equal(decide(trust({ Service: "ec2.amazonaws.com" }), request(svc, "sts:AssumeRole")), "allow");
    assert.equal(decide(trust({ Service: "lambda.amazonaws.com" }), request(svc, "sts:AssumeRole")), "deny");
  });

  test("NotPrincipal (resource policies): every principal except those listed (UG:reference_policies_elements_notprincipal)", () => {
    const p = policy([
      { Effect: "Deny", NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, Action: "*" },
      { Effect: "Allow", Principal: "*", Action: "*" },
    ]);
    const alice: RequestPrincipal = {
      type: "AWS",
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      account: ACCOUNT,
    };
    const bob: RequestPrincipal = { type: "AWS", arn: `arn:aws:iam::${ACCOUNT}:user/bob`, account: ACCOUNT };
    assert.equal(decide(p, request(alice, "s3:GetObject")), "allow");
    assert.equal(decide(p, request(bob, "s3:GetObject")), "deny");
  });
});

describe("resources (identity policies)", () => {
  test("Resource wildcards and NotResource", () => {
    const p = policy(
      [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/deploy-*" }],
      "identity",
    );
    const caller = roleSession(ACCOUNT, "Tooling", "s");
    assert.equal(
      decide(p, request(caller, "sts:AssumeRole", {}, "arn:aws:iam::210987654321:role/deploy-prod")),
      "allow",
    );
    assert.equal(
      decide(p, request(caller, "sts:AssumeRole", {}, "arn:aws:iam::210987654321:role/admin")),
      "deny",
    );
    const q = policy(
      [{ Effect: "Allow", Action: "sts:AssumeRole", NotResource: "arn:aws:iam::*:role/admin" }],
      "identity",
    );
    assert.equal(
      decide(q, request(caller, "sts:AssumeRole", {}, "arn:aws:iam::210987654321:role/admin")),
      "deny",
    );
    assert.equal(
      decide(q, request(caller, "sts:AssumeRole", {}, "arn:aws:iam::210987654321:role/x")),
      "allow",
    );
  });

  test("Resource with a policy variable", () => {
    const p = policy(
      [
        {
          Effect: "Allow",
          Action: "sts:AssumeRole",
          Resource: "arn:aws:iam::*:role/${aws:PrincipalTag/team}-*",
        },
      ],
      "identity",
    );
    const caller = roleSession(ACCOUNT, "Tooling", "s");
    assert.equal(
      decide(
        p,
        request(caller, "sts:AssumeRole", { "aws:PrincipalTag/team": "red" }, "arn:aws:iam::1:role/red-app"),
      ),
      "allow",
    );
    assert.equal(
      decide(
        p,
        request(caller, "sts:AssumeRole", { "aws:PrincipalTag/team": "red" }, "arn:aws:iam::1:role/blue-app"),
      ),
      "deny",
    );
  });
});

describe("the trace", () => {
  test("names, per statement, the principal, the action and each condition with the values compared", () => {
    const p = policy(
      [
        {
          Sid: "GitHubMain",
          Effect: "Allow",
          Principal: { Federated: GITHUB },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
            StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main" },
          },
        },
      ],
      "trust",
    );
    const result = evaluate(
      p,
      request(federated(), "sts:AssumeRoleWithWebIdentity", {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/dev",
      }),
    );
    assert.equal(result.decision, "deny");
    const [statement] = result.statements;
    assert.equal(statement?.sid, "GitHubMain");
    assert.equal(statement?.applies, false);
    assert.equal(statement?.principal?.matched, true);
    assert.equal(statement?.action.matched, true);
    assert.deepEqual(
      statement?.conditions.map((c) => [c.operator, c.key, c.requestValues, c.policyValues, c.result]),
      [
        [
          "StringEquals",
          "token.actions.githubusercontent.com:aud",
          ["sts.amazonaws.com"],
          ["sts.amazonaws.com"],
          true,
        ],
        [
          "StringLike",
          "token.actions.githubusercontent.com:sub",
          ["repo:acme/app:ref:refs/heads/dev"],
          ["repo:acme/app:ref:refs/heads/main"],
          false,
        ],
      ],
    );
  });
});
