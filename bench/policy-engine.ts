/**
 * Policy engine throughput: condition evaluations per second by operator, and the time to parse and
 * evaluate a 2 KB trust policy (fast path and traced). Prints figures; asserts nothing (not a test).
 * Target from the foundation issue: well above 1,000,000 condition evaluations per second.
 *
 *   npm run bench:policy
 */
import { authorizeWebIdentity, webIdentityRequest } from "../src/core/federation/index.js";
import type { Condition, Policy } from "../src/core/policy/index.js";
import { conditionHolds, decide, evaluate, parsePolicy, requestContext } from "../src/core/policy/index.js";

function timeIt(iterations: number, body: (i: number) => unknown): { perSecond: number; nsPerOp: number } {
  let sink = 0;
  for (let i = 0; i < Math.min(iterations, 100_000); i++) sink += body(i) ? 1 : 0; // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += body(i) ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink < 0) console.log(sink);
  return { perSecond: (iterations / ns) * 1e9, nsPerOp: ns / iterations };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const P = "token.actions.githubusercontent.com";
const context = requestContext({
  [`${P}:sub`]: "repo:acme/platform-infra:ref:refs/heads/main",
  [`${P}:aud`]: "sts.amazonaws.com",
  "aws:TagKeys": ["organizationId", "projectId", "environmentId"],
  "aws:SourceIp": "203.0.113.7",
  "aws:PrincipalTag/team": "platform",
});

function oneCondition(op: string, key: string, values: unknown): Condition {
  const policy = parsePolicy(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Principal: "*", Action: "sts:*", Condition: { [op]: { [key]: values } } },
    }),
  );
  return policy.statements[0]!.conditions[0]!;
}

const cases: [string, Condition][] = [
  ["StringEquals (2 values)", oneCondition("StringEquals", `${P}:aud`, ["sts.amazonaws.com", "other"])],
  [
    "StringLike repo:acme/*:ref:refs/heads/main",
    oneCondition("StringLike", `${P}:sub`, "repo:acme/*:ref:refs/heads/main"),
  ],
  [
    "StringNotLike (3 patterns)",
    oneCondition("StringNotLike", `${P}:sub`, ["repo:evil/*", "repo:*:pull_request", "*:environment:dev"]),
  ],
  [
    "StringLike with ${aws:PrincipalTag/team}",
    oneCondition("StringLike", `${P}:sub`, "repo:acme/${aws:PrincipalTag/team}-*"),
  ],
  [
    "ForAllValues:StringEquals on aws:TagKeys",
    oneCondition("ForAllValues:StringEquals", "aws:TagKeys", [
      "organizationId",
      "projectId",
      "environmentId",
      "x",
    ]),
  ],
  ["IpAddress 203.0.113.0/24", oneCondition("IpAddress", "aws:SourceIp", "203.0.113.0/24")],
  ["StringEqualsIfExists on an absent key", oneCondition("StringEqualsIfExists", "aws:RequestTag/x", "y")],
];

console.log("keyless policy engine benchmark");
console.log(`node ${process.version}, ${process.arch}\n`);
console.log("Single-condition evaluations (conditionHolds):");
let slowest = Number.POSITIVE_INFINITY;
for (const [name, condition] of cases) {
  const { perSecond, nsPerOp } = timeIt(3_000_000, () => conditionHolds(condition, context, true));
  slowest = Math.min(slowest, perSecond);
  console.log(`  ${name.padEnd(46)} ${fmt(perSecond).padStart(12)} /s  ${nsPerOp.toFixed(0).padStart(5)} ns`);
}
console.log(`  slowest operator: ${fmt(slowest)} condition evaluations/s (target: well above 1,000,000)\n`);

// A realistic 2 KB trust policy: GitHub main + environments, a tooling chain, a deny for forks.
const statements = [
  {
    Sid: "GitHubMain",
    Effect: "Allow",
    Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${P}` },
    Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
    Condition: {
      StringEquals: { [`${P}:aud`]: "sts.amazonaws.com" },
      StringLike: {
        [`${P}:sub`]: [
          "repo:acme/platform-infra:ref:refs/heads/main",
          "repo:acme/platform-infra:environment:production",
        ],
      },
    },
  },
  {
    Sid: "GitHubReleases",
    Effect: "Allow",
    Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${P}` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: { [`${P}:aud`]: "sts.amazonaws.com" },
      StringLike: { [`${P}:sub`]: "repo:acme/platform-infra:ref:refs/tags/v*" },
      "ForAllValues:StringEquals": { "aws:TagKeys": ["organizationId", "projectId", "environmentId"] },
    },
  },
  {
    Sid: "DenyForksAndPRs",
    Effect: "Deny",
    Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${P}` },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: { StringLike: { [`${P}:sub`]: ["repo:*:pull_request", "repo:acme-forks/*"] } },
  },
  {
    Sid: "ToolingChain",
    Effect: "Allow",
    Principal: {
      AWS: [
        "arn:aws:iam::111111111111:role/GitHubAction-AssumeRoleWithAction",
        "arn:aws:iam::111111111111:role/terraform-plan",
      ],
    },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    Condition: {
      StringEquals: { "aws:PrincipalTag/team": ["platform", "sre"] },
      Bool: { "aws:SecureTransport": "true" },
    },
  },
  {
    Sid: "BreakGlass",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::111111111111:role/break-glass" },
    Action: "sts:AssumeRole",
    Condition: {
      IpAddress: { "aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"] },
      NumericLessThanEquals: { "aws:MultiFactorAuthAge": "3600" },
    },
  },
];
const text = JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 1);
const policy: Policy = parsePolicy(text, { kind: "trust" });
const conditionCount = policy.statements.reduce((n, s) => n + s.conditions.length, 0);
const built = webIdentityRequest({
  claims: {
    iss: `https://${P}`,
    sub: "repo:acme/platform-infra:ref:refs/heads/main",
    aud: "sts.amazonaws.com",
  },
  providerUrl: `https://${P}`,
  account: "123456789012",
  roleSessionName: "GitHubActions",
  now: Date.now(),
});
if (!built.ok) throw new Error("request");
const request = {
  principal: built.request.principal,
  action: "sts:AssumeRoleWithWebIdentity",
  context: built.request.context,
};

console.log(
  `A ${text.length}-byte trust policy (${policy.statements.length} statements, ${conditionCount} conditions):`,
);
const parse = timeIt(20_000, () => parsePolicy(text, { kind: "trust" }));
const fast = timeIt(500_000, () => decide(policy, request));
const authorize = timeIt(500_000, () => authorizeWebIdentity(policy, built.request));
const traced = timeIt(100_000, () => evaluate(policy, request));
console.log(
  `  parse + validate        ${(parse.nsPerOp / 1000).toFixed(2).padStart(8)} µs   (${fmt(parse.perSecond)} /s)`,
);
console.log(
  `  decide (fast path)      ${(fast.nsPerOp / 1000).toFixed(2).padStart(8)} µs   (${fmt(fast.perSecond)} /s)`,
);
console.log(
  `  authorize web identity  ${(authorize.nsPerOp / 1000).toFixed(2).padStart(8)} µs   (${fmt(authorize.perSecond)} /s)`,
);
console.log(
  `  evaluate with trace     ${(traced.nsPerOp / 1000).toFixed(2).padStart(8)} µs   (${fmt(traced.perSecond)} /s)`,
);
