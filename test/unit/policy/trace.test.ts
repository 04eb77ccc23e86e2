import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ContextInput,
  describePrincipal,
  evaluate,
  parsePolicy,
  type Request,
  type RequestPrincipal,
  requestContext,
} from "../../../src/core/policy/index.js";
import { conditionPolicy, federated } from "./helpers.js";

// The trace `keyless explain` prints: which rule decided each condition, the values compared after
// variable substitution, and how the statement's principal admitted (or refused) the caller. The rules
// themselves are AWS's:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

const traceOf = (
  condition: Record<string, Record<string, unknown>>,
  context: ContextInput,
  version?: string,
) => {
  const result = evaluate(conditionPolicy(condition, version), {
    principal: federated(),
    action: "sts:AssumeRoleWithWebIdentity",
    context: requestContext(context),
  });
  const trace = result.statements[0]?.conditions[0];
  assert.ok(trace);
  return trace;
};

describe("condition trace: the rule that decided an absent key", () => {
  test("Null reports presence or absence", () => {
    const absent = traceOf({ Null: { "aws:TokenIssueTime": "true" } }, {});
    assert.deepEqual([absent.result, absent.reason, absent.requestValues], [true, "key is absent", null]);
    const present = traceOf({ Null: { "aws:TokenIssueTime": "true" } }, { "aws:TokenIssueTime": "1" });
    assert.deepEqual([present.result, present.reason], [false, "key is present"]);
    // An empty value set is absent for Null as for every other operator.
    const empty = traceOf({ Null: { "aws:TagKeys": "true" } }, { "aws:TagKeys": [] });
    assert.deepEqual([empty.result, empty.reason, empty.requestValues], [true, "key is absent", []]);
  });

  test("...IfExists, ForAllValues, ForAnyValue, negated and positive operators each name their rule", () => {
    const cases: [Record<string, Record<string, unknown>>, boolean, RegExp][] = [
      [{ StringEqualsIfExists: { "idp:sub": "x" } }, true, /^key is absent, and \.\.\.IfExists makes/],
      [
        { "ForAllValues:StringEquals": { "aws:TagKeys": "x" } },
        true,
        /ForAllValues is true for an empty set/,
      ],
      [
        { "ForAnyValue:StringEquals": { "aws:TagKeys": "x" } },
        false,
        /ForAnyValue is false for an empty set/,
      ],
      [{ StringNotEquals: { "idp:sub": "x" } }, true, /a negated operator is true for an absent key/],
      [
        { StringEquals: { "idp:sub": "x" } },
        false,
        /key is absent from the request, so the condition cannot match/,
      ],
    ];
    for (const [condition, result, reason] of cases) {
      for (const context of [{}, { "idp:sub": [], "aws:TagKeys": [] }]) {
        const trace = traceOf(condition, context);
        assert.equal(trace.result, result, JSON.stringify(condition));
        assert.match(trace.reason, reason, JSON.stringify(condition));
      }
    }
  });

  test("ForAnyValue with IfExists: IfExists decides (true), and says so", () => {
    const trace = traceOf({ "ForAnyValue:StringEqualsIfExists": { "aws:TagKeys": "x" } }, {});
    assert.equal(trace.result, true);
    assert.match(trace.reason, /IfExists/);
  });
});

describe("condition trace: a present key", () => {
  test("positive operators: some value matched, or none did", () => {
    const yes = traceOf({ StringEquals: { "idp:sub": ["a", "b"] } }, { "idp:sub": "b" });
    assert.deepEqual([yes.result, yes.reason], [true, "a request value matches a policy value"]);
    const no = traceOf({ StringEquals: { "idp:sub": ["a", "b"] } }, { "idp:sub": "c" });
    assert.deepEqual([no.result, no.reason], [false, "no request value matches any policy value"]);
  });

  test("negated operators: the value matched none of the excluded values, or one of them", () => {
    const yes = traceOf({ StringNotLike: { "idp:sub": ["a*", "b*"] } }, { "idp:sub": "c" });
    assert.deepEqual(
      [yes.result, yes.reason],
      [true, "the request value matches none of the excluded values"],
    );
    const no = traceOf({ StringNotLike: { "idp:sub": ["a*", "b*"] } }, { "idp:sub": "bc" });
    assert.deepEqual([no.result, no.reason], [false, "the request value matches an excluded value"]);
  });

  test("ForAllValues: every request value allowed, or one that is not", () => {
    const condition = { "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } };
    const yes = traceOf(condition, { "aws:TagKeys": ["env", "team"] });
    assert.deepEqual([yes.result, yes.reason], [true, "every request value is allowed by the policy values"]);
    const no = traceOf(condition, { "aws:TagKeys": ["env", "owner"] });
    assert.deepEqual([no.result, no.reason], [false, "a request value is not allowed by the policy values"]);
    // ForAllValues with a negated operator is still reported by the set rule.
    const negated = traceOf(
      { "ForAllValues:StringNotEquals": { "aws:TagKeys": "admin" } },
      { "aws:TagKeys": ["x"] },
    );
    assert.deepEqual(
      [negated.result, negated.reason],
      [true, "every request value is allowed by the policy values"],
    );
  });

  test("an unresolved policy variable is named as the cause, only when no value could be resolved", () => {
    const none = traceOf({ StringEquals: { "idp:sub": "${aws:username}" } }, { "idp:sub": "x" });
    assert.deepEqual(none.policyValues, [null]);
    assert.equal(none.result, false);
    assert.equal(none.reason, "no policy value could be resolved (unresolved policy variable)");
    const some = traceOf({ StringEquals: { "idp:sub": ["${aws:username}", "x"] } }, { "idp:sub": "x" });
    assert.deepEqual(some.policyValues, [null, "x"]);
    assert.deepEqual([some.result, some.reason], [true, "a request value matches a policy value"]);
  });
});

describe("condition trace: the values compared", () => {
  test("operator and key as written; request values copied; policy values after substitution", () => {
    const trace = traceOf(
      {
        "ForAnyValue:StringLike": {
          "AWS:PrincipalTag/Team": "pre-${aws:username}-${aws:userid, 'dflt'}-post",
        },
      },
      { "aws:principaltag/team": ["pre-bob-dflt-post", "x"], "aws:username": "bob" },
    );
    assert.equal(trace.operator, "ForAnyValue:StringLike");
    assert.equal(trace.key, "AWS:PrincipalTag/Team");
    assert.deepEqual(trace.requestValues, ["pre-bob-dflt-post", "x"]);
    assert.deepEqual(trace.policyValues, ["pre-bob-dflt-post"]);
    assert.equal(trace.result, true);
  });

  test("a multivalued key in a variable is not substituted: the default, else unresolved", () => {
    const withDefault = traceOf(
      { StringEquals: { "idp:sub": "${aws:TagKeys, 'd'}" } },
      { "idp:sub": "d", "aws:TagKeys": ["a", "b"] },
    );
    assert.deepEqual([withDefault.policyValues, withDefault.result], [["d"], true]);
    const without = traceOf(
      { StringEquals: { "idp:sub": "x${aws:TagKeys}" } },
      { "idp:sub": "xa", "aws:TagKeys": ["a", "b"] },
    );
    assert.deepEqual([without.policyValues, without.result], [[null], false]);
  });

  test("operators without variables, and Version 2008-10-17, show the text as written", () => {
    const numeric = traceOf(
      { NumericEquals: { "s3:max-keys": "${aws:n}" } },
      { "s3:max-keys": "5", "aws:n": "5" },
    );
    assert.deepEqual(numeric.policyValues, ["${aws:n}"]);
    const old = traceOf(
      { StringEquals: { "idp:sub": "a${aws:username}b" } },
      { "idp:sub": "abobb", "aws:username": "bob" },
      "2008-10-17",
    );
    assert.deepEqual([old.policyValues, old.result], [["a${aws:username}b"], false]);
  });
});

// Principal matching: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
describe("principal trace", () => {
  const ACCOUNT = "123456789012";
  const OTHER = "210987654321";
  const principalOf = (principal: unknown, caller: RequestPrincipal, notPrincipal = false) => {
    const policy = parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", [notPrincipal ? "NotPrincipal" : "Principal"]: principal, Action: "*" },
        ],
      }),
      { kind: "any" },
    );
    const request: Request = { principal: caller, action: "sts:AssumeRole", context: requestContext({}) };
    const result = evaluate(policy, request);
    const match = result.statements[0]?.principal;
    assert.ok(match);
    return { ...match, decision: result.decision, allowedVia: result.allowedVia };
  };
  const session: RequestPrincipal = {
    type: "AWS",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deploy/ci`,
    account: ACCOUNT,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/Deploy`,
  };
  const github = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
  const gitlab = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";

  test('"*" admits every caller, anonymous included', () => {
    const m = principalOf("*", { type: "Anonymous" });
    assert.deepEqual([m.matched, m.allowedVia, m.decision], [true, "any", "allow"]);
    assert.match(m.reason, /"\*" admits every caller/);
  });

  test("an anonymous caller matches no named principal", () => {
    const m = principalOf({ AWS: "*" }, { type: "Anonymous" });
    assert.deepEqual([m.matched, m.decision], [false, "deny"]);
    assert.match(m.reason, /anonymous/);
  });

  test("Federated: the reason names the token's provider and the trusted ones", () => {
    const yes = principalOf({ Federated: github }, federated(github));
    assert.deepEqual([yes.matched, yes.allowedVia], [true, "exact"]);
    assert.equal(yes.reason, `Federated ${github}`);
    const no = principalOf({ Federated: [gitlab, "cognito-identity.amazonaws.com"] }, federated(github));
    assert.equal(no.matched, false);
    assert.equal(
      no.reason,
      `the token's provider is ${github}; the statement trusts ${gitlab}, cognito-identity.amazonaws.com`,
    );
    const none = principalOf({ AWS: ACCOUNT }, federated(github));
    assert.equal(none.matched, false);
    assert.equal(
      none.reason,
      `the statement names no Federated principal, and the caller is Federated ${github}`,
    );
  });

  test("Service: matched by name; the reason describes the caller otherwise", () => {
    const svc: RequestPrincipal = { type: "Service", id: "ec2.amazonaws.com" };
    const yes = principalOf({ Service: ["lambda.amazonaws.com", "ec2.amazonaws.com"] }, svc);
    assert.deepEqual([yes.matched, yes.allowedVia, yes.reason], [true, "exact", "Service ec2.amazonaws.com"]);
    const no = principalOf({ AWS: ACCOUNT }, svc);
    assert.deepEqual(
      [no.matched, no.reason],
      [false, "the caller is Service ec2.amazonaws.com; the statement does not name it"],
    );
  });

  test('AWS: "*", the account (by id or root ARN), the exact ARN, the role of a session', () => {
    const any = principalOf({ AWS: "*" }, session);
    assert.deepEqual([any.matched, any.allowedVia], [true, "any"]);
    assert.match(any.reason, /"AWS": "\*" admits every AWS principal/);
    for (const id of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      const account = principalOf({ AWS: id }, session);
      assert.deepEqual([account.matched, account.allowedVia], [true, "account"]);
      assert.equal(account.reason, `account ${ACCOUNT} (its identity policies must also allow)`);
    }
    const exact = principalOf({ AWS: session.arn }, session);
    assert.deepEqual([exact.matched, exact.allowedVia, exact.reason], [true, "exact", `AWS ${session.arn}`]);
    const role = principalOf({ AWS: `arn:aws:iam::${ACCOUNT}:role/Deploy` }, session);
    assert.deepEqual(
      [role.matched, role.allowedVia, role.reason],
      [true, "role", `AWS arn:aws:iam::${ACCOUNT}:role/Deploy (a session of that role)`],
    );
  });

  test("another account's id does not stop the search: a later entry can still name the caller", () => {
    const m = principalOf({ AWS: [OTHER, `arn:aws:iam::${OTHER}:root`, session.arn] }, session);
    assert.deepEqual([m.matched, m.allowedVia], [true, "exact"]);
    const user: RequestPrincipal = {
      type: "AWS",
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      account: ACCOUNT,
    };
    // A user has no role: a role ARN never admits it.
    const no = principalOf({ AWS: [OTHER, `arn:aws:iam::${ACCOUNT}:role/alice`] }, user);
    assert.equal(no.matched, false);
    assert.equal(
      no.reason,
      `the caller is arn:aws:iam::${ACCOUNT}:user/alice; the statement trusts ${OTHER}, arn:aws:iam::${ACCOUNT}:role/alice`,
    );
  });

  test("describePrincipal names each kind of caller", () => {
    assert.equal(describePrincipal(federated(github)), `Federated ${github}`);
    assert.equal(
      describePrincipal({ type: "Service", id: "ec2.amazonaws.com" }),
      "Service ec2.amazonaws.com",
    );
    assert.equal(describePrincipal(session), session.arn);
    assert.equal(describePrincipal({ type: "Anonymous" }), "anonymous");
  });

  test("a statement without an AWS entry says so and names the caller", () => {
    const m = principalOf({ Federated: github }, session);
    assert.equal(m.matched, false);
    assert.equal(m.reason, `the statement names no AWS principal, and the caller is ${session.arn}`);
  });

  test("NotPrincipal inverts the match and says which way", () => {
    const excluded = principalOf({ AWS: session.arn }, session, true);
    assert.deepEqual([excluded.matched, excluded.decision], [false, "deny"]);
    assert.equal(excluded.reason, `NotPrincipal excludes AWS ${session.arn}`);
    const other = principalOf({ AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }, session, true);
    assert.deepEqual([other.matched, other.decision, other.allowedVia], [true, "allow", "exact"]);
    assert.match(other.reason, /^NotPrincipal does not list the caller \(the caller is arn:aws:sts::/);
  });
});

// The decision and per-statement trace:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
describe("statement trace and decision", () => {
  const ACCOUNT = "123456789012";
  const caller: RequestPrincipal = {
    type: "AWS",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deploy/ci`,
    account: ACCOUNT,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/Deploy`,
  };
  const run = (
    statements: unknown[],
    resource?: string,
    context: ContextInput = {},
    version = "2012-10-17",
  ) =>
    evaluate(parsePolicy(JSON.stringify({ Version: version, Statement: statements }), { kind: "any" }), {
      principal: caller,
      action: "sts:AssumeRole",
      context: requestContext(context),
      ...(resource === undefined ? {} : { resource }),
    });

  test("allowedVia prefers a statement naming the caller over account delegation, in either order", () => {
    const byAccount = { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" };
    const byRole = { Effect: "Allow", Principal: { AWS: caller.roleArn }, Action: "sts:AssumeRole" };
    assert.equal(run([byAccount, byRole]).allowedVia, "role");
    assert.equal(run([byRole, byAccount]).allowedVia, "role");
    assert.equal(run([byAccount]).allowedVia, "account");
    assert.equal(run([byAccount, byAccount]).allowedVia, "account");
    // An identity statement (no Principal) admits its own caller outright.
    assert.equal(run([{ Effect: "Allow", Action: "sts:AssumeRole" }]).allowedVia, "exact");
    assert.equal(run([byAccount, { Effect: "Allow", Action: "sts:AssumeRole" }]).allowedVia, "exact");
  });

  test("a deny gives no allowedVia, whatever allowed before it", () => {
    const allow = { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" };
    const deny = run([allow, { Effect: "Deny", Principal: "*", Action: "sts:*" }]);
    assert.deepEqual([deny.decision, deny.reason, deny.allowedVia], ["deny", "explicit-deny", undefined]);
    const implicit = run([{ ...allow, Action: "sts:TagSession" }]);
    assert.deepEqual(
      [implicit.decision, implicit.reason, implicit.allowedVia],
      ["deny", "implicit-deny", undefined],
    );
    const allowed = run([allow]);
    assert.deepEqual([allowed.decision, allowed.reason, allowed.allowedVia], ["allow", "allowed", "any"]);
  });

  test("a statement that does not apply is traced but does not count, whichever part failed", () => {
    const result = run(
      [
        { Sid: "Action", Effect: "Deny", Principal: "*", Action: "sts:TagSession" },
        {
          Sid: "Principal",
          Effect: "Deny",
          Principal: { AWS: "arn:aws:iam::210987654321:root" },
          Action: "*",
        },
        { Sid: "Resource", Effect: "Deny", Action: "*", Resource: "arn:aws:iam::*:role/Admin" },
        {
          Sid: "Condition",
          Effect: "Deny",
          Action: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        { Sid: "Allow", Effect: "Allow", Action: "*", Resource: "*" },
      ],
      "arn:aws:iam::123456789012:role/Deploy",
      { "aws:SecureTransport": "true" },
    );
    assert.equal(result.decision, "allow");
    assert.deepEqual(
      result.statements.map((s) => [s.index, s.sid, s.effect, s.applies]),
      [
        [0, "Action", "Deny", false],
        [1, "Principal", "Deny", false],
        [2, "Resource", "Deny", false],
        [3, "Condition", "Deny", false],
        [4, "Allow", "Allow", true],
      ],
    );
  });

  test("the action and resource parts: patterns, the requested names, NotAction / NotResource", () => {
    const result = run(
      [
        { Effect: "Allow", Action: ["sts:Tag*", "sts:AssumeRole"], Resource: "arn:aws:iam::*:role/*" },
        { Effect: "Allow", NotAction: "iam:*", NotResource: "arn:aws:iam::*:role/Admin" },
        { Effect: "Allow", Action: "sts:AssumeRole" },
      ],
      "arn:aws:iam::123456789012:role/Deploy",
    );
    const [first, second, third] = result.statements;
    assert.deepEqual(first?.action, {
      matched: true,
      requested: "sts:AssumeRole",
      patterns: ["sts:Tag*", "sts:AssumeRole"],
      negated: false,
    });
    assert.deepEqual(first?.resource, {
      matched: true,
      requested: "arn:aws:iam::123456789012:role/Deploy",
      negated: false,
    });
    assert.deepEqual(second?.action, {
      matched: true,
      requested: "sts:AssumeRole",
      patterns: ["iam:*"],
      negated: true,
    });
    assert.deepEqual(second?.resource, {
      matched: true,
      requested: "arn:aws:iam::123456789012:role/Deploy",
      negated: true,
    });
    assert.equal(third?.resource, undefined);
    assert.equal(third?.principal, undefined);
  });

  test("several Resource patterns: any one of them is enough", () => {
    const statement = {
      Effect: "Allow",
      Action: "sts:AssumeRole",
      Resource: ["arn:aws:iam::*:role/Admin", "arn:aws:iam::*:role/Deploy"],
    };
    assert.equal(run([statement], "arn:aws:iam::1:role/Deploy").decision, "allow");
    assert.equal(run([statement], "arn:aws:iam::1:role/Other").decision, "deny");
    const not = { Effect: "Allow", Action: "sts:AssumeRole", NotResource: statement.Resource };
    assert.equal(run([not], "arn:aws:iam::1:role/Deploy").decision, "deny");
    assert.equal(run([not], "arn:aws:iam::1:role/Other").decision, "allow");
  });

  test("a request without a resource: Resource never applies, NotResource always does", () => {
    const result = run([
      { Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
      { Effect: "Allow", Action: "sts:AssumeRole", NotResource: "*" },
    ]);
    assert.deepEqual(
      result.statements.map((s) => [s.resource?.matched, s.resource?.requested, s.applies]),
      [
        [false, undefined, false],
        [true, undefined, true],
      ],
    );
  });

  test("policy variables in Resource: substituted under 2012-10-17, literal under 2008-10-17", () => {
    const statement = {
      Effect: "Allow",
      Action: "sts:AssumeRole",
      Resource: "arn:aws:iam::*:role/${aws:username}",
    };
    const ctx = { "aws:username": "bob" };
    assert.equal(run([statement], "arn:aws:iam::1:role/bob", ctx).decision, "allow");
    assert.equal(run([statement], "arn:aws:iam::1:role/bob", ctx, "2008-10-17").decision, "deny");
    assert.equal(
      run([statement], "arn:aws:iam::1:role/${aws:username}", ctx, "2008-10-17").decision,
      "allow",
    );
    // An unresolvable variable matches no resource.
    assert.equal(run([statement], "arn:aws:iam::1:role/bob", {}).decision, "deny");
  });
});

describe("trace and decision agree on policy variables", () => {
  test("a multivalued key with one value is unresolved in the trace too, as in the comparison", () => {
    // Found by mutation testing: the trace resolved ${aws:TagKeys} = ["team"] to "team" while the
    // comparison (rightly) left it unresolved, so explain showed a value the decision never used.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    const trace = traceOf(
      { StringEquals: { "idp:sub": "${aws:TagKeys}" } },
      { "idp:sub": "team", "aws:TagKeys": ["team"] },
    );
    assert.deepEqual([trace.policyValues, trace.result], [[null], false]);
    assert.equal(trace.reason, "no policy value could be resolved (unresolved policy variable)");
    const withDefault = traceOf(
      { StringEquals: { "idp:sub": "${idp:amr, 'none'}" } },
      { "idp:sub": "none", "idp:amr": ["mfa"] },
    );
    assert.deepEqual([withDefault.policyValues, withDefault.result], [["none"], true]);
  });

  test("escapes show as the character they stand for", () => {
    const trace = traceOf({ StringLike: { "idp:sub": "a${*}b${?}" } }, { "idp:sub": "a*b?" });
    assert.deepEqual([trace.policyValues, trace.result], [["a*b?"], true]);
  });
});
