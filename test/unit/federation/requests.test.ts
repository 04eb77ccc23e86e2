import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  assumeRoleRequest,
  CallerArnError,
  explainWebIdentity,
  parseProviderArn,
  providerArn,
  sessionTagsFromClaims,
  TAGS_CLAIM,
  validateSessionTags,
  type WebIdentityInput,
  type WebIdentityRequest,
  webIdentityRequest,
} from "../../../src/core/federation/index.js";
import { parsePolicy } from "../../../src/core/policy/index.js";

/**
 * The requests STS evaluates trust policies against, built from their inputs:
 * AssumeRoleWithWebIdentity (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif),
 * session tags (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html) and AssumeRole
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
 */
const NOW = Date.parse("2026-11-22T10:00:00.750Z");
const URL = "https://token.example.com";
const KEY = "token.example.com";
const ARN = `arn:aws:iam::123456789012:oidc-provider/${KEY}`;
const ROLE = "arn:aws:iam::123456789012:role/deploy";

function request(claims: Record<string, unknown>, extra: Partial<WebIdentityInput> = {}): WebIdentityRequest {
  const result = webIdentityRequest({
    claims,
    providerUrl: URL,
    roleSessionName: "run-1",
    now: NOW,
    ...extra,
  });
  assert.ok(result.ok, JSON.stringify(result));
  return result.request;
}
const keys = (r: WebIdentityRequest) => Object.fromEntries(r.context);

describe("webIdentityRequest: the provider", () => {
  test("an ARN that is not an OIDC provider's: InvalidInput", () => {
    const arn = "arn:aws:iam::123456789012:role/x";
    assert.deepEqual(webIdentityRequest({ claims: {}, providerArn: arn, roleSessionName: "r1", now: NOW }), {
      ok: false,
      error: { code: "InvalidInput", message: `${arn} is not an OIDC provider ARN` },
    });
  });

  test("no URL at all, or not https: InvalidInput", () => {
    assert.deepEqual(webIdentityRequest({ claims: {}, roleSessionName: "r1", now: NOW }), {
      ok: false,
      error: { code: "InvalidInput", message: "provider URL (none) must start with https://" },
    });
    assert.deepEqual(
      webIdentityRequest({ claims: {}, providerUrl: "http://x.example", roleSessionName: "r1", now: NOW }),
      {
        ok: false,
        error: { code: "InvalidInput", message: "provider URL http://x.example must start with https://" },
      },
    );
  });

  test("from the ARN alone: URL, key and account come from it", () => {
    const arn = "arn:aws-cn:iam::210987654321:oidc-provider/idp.example.com/tenant";
    const r = request({ sub: "s" }, { providerUrl: undefined, providerArn: arn, account: "111111111111" });
    assert.deepEqual(r.principal, { type: "Federated", id: arn });
    assert.equal(r.providerKey, "idp.example.com/tenant");
    assert.deepEqual(r.context.get("idp.example.com/tenant:sub"), ["s"]);
    assert.deepEqual(r.context.get("aws:principalaccount"), ["210987654321"]);
    assert.deepEqual(r.context.get("aws:federatedprovider"), [arn]);
  });

  test("from the URL: the ARN in the given account, else 123456789012", () => {
    const own = request({}, { account: "210987654321" });
    assert.deepEqual(own.principal, {
      type: "Federated",
      id: `arn:aws:iam::210987654321:oidc-provider/${KEY}`,
    });
    assert.deepEqual(own.context.get("aws:principalaccount"), ["210987654321"]);
    const fallback = request({});
    assert.deepEqual(fallback.principal, { type: "Federated", id: ARN });
    assert.deepEqual(fallback.context.get("aws:principalaccount"), ["123456789012"]);
  });

  test("a built-in provider: the bare host, lower case, no trailing slash, with or without https://", () => {
    for (const url of [
      "https://Accounts.Google.com/",
      "accounts.google.com",
      "HTTPS://accounts.google.com",
    ]) {
      const r = request({ sub: "1" }, { providerUrl: url, builtin: true });
      assert.deepEqual(r.principal, { type: "Federated", id: "accounts.google.com" }, url);
      assert.equal(r.providerKey, "accounts.google.com");
      assert.deepEqual(r.context.get("accounts.google.com:sub"), ["1"]);
      assert.deepEqual(r.context.get("aws:userid"), ["accounts.google.com"]);
    }
    // Only a trailing slash goes, and only the scheme at the start.
    assert.equal(request({}, { providerUrl: "a.example/x/y/", builtin: true }).providerKey, "a.example/x/y");
    assert.equal(
      request({}, { providerUrl: "a.example/https://b/", builtin: true }).providerKey,
      "a.example/https://b",
    );
  });
});

describe("webIdentityRequest: claims to keys", () => {
  test("aud: the single audience; a list keeps every string, number or boolean in it", () => {
    const one = request({ aud: "sts.amazonaws.com" });
    assert.equal(one.audience, "sts.amazonaws.com");
    assert.deepEqual(one.context.get(`${KEY}:aud`), ["sts.amazonaws.com"]);
    const many = request({ aud: ["a", 7, { x: 1 }, null, true] });
    assert.equal(many.audience, undefined);
    assert.deepEqual(many.context.get(`${KEY}:aud`), ["a", "7", "true"]);
    assert.deepEqual(many.context.get(`${KEY}:oaud`), ["a", "7", "true"]);
    assert.equal(request({ aud: ["only"] }).audience, "only");
    assert.equal(request({ aud: [{}] }).audience, undefined);
    // azp wins over aud for <P>:aud.
    const azp = request({ aud: ["a", "b"], azp: "client" });
    assert.equal(azp.audience, "client");
    assert.deepEqual(azp.context.get(`${KEY}:aud`), ["client"]);
    assert.deepEqual(azp.context.get(`${KEY}:azp`), ["client"]);
  });

  test("scalar claims: strings, numbers and booleans as text; objects and null are absent", () => {
    const r = request({ sub: 42, email: true, amr: "mfa" });
    assert.deepEqual(r.context.get(`${KEY}:sub`), ["42"]);
    assert.deepEqual(r.context.get(`${KEY}:email`), ["true"]);
    assert.deepEqual(r.context.get(`${KEY}:amr`), ["mfa"]);
    const absent = request({ sub: { a: 1 }, email: null, amr: { x: 1 }, azp: ["x"] });
    for (const k of ["sub", "email", "amr", "azp"]) assert.equal(absent.context.has(`${KEY}:${k}`), false, k);
    // No aud claim: <P>:aud holds no value, which the condition operators treat as absent.
    assert.deepEqual(absent.context.get(`${KEY}:aud`), []);
    assert.deepEqual(request({ amr: ["pwd", 2, {}] }).context.get(`${KEY}:amr`), ["pwd", "2"]);
  });

  test("standardKeys: only those the provider has (all six by default)", () => {
    const claims = { aud: "a", azp: "z", sub: "s", amr: ["m"], email: "e@x" };
    assert.deepEqual(
      Object.keys(keys(request(claims)))
        .filter((k) => k.startsWith(`${KEY}:`))
        .sort(),
      [`${KEY}:amr`, `${KEY}:aud`, `${KEY}:azp`, `${KEY}:email`, `${KEY}:oaud`, `${KEY}:sub`],
    );
    const none = request(claims, { standardKeys: [] });
    assert.equal(
      [...none.context.keys()].some((k) => k.startsWith(`${KEY}:`)),
      false,
    );
    const some = request(claims, { standardKeys: ["email"] });
    assert.deepEqual(
      [...some.context.keys()].filter((k) => k.startsWith(`${KEY}:`)),
      [`${KEY}:email`],
    );
  });

  test("providerKeys: a top-level claim by name, or a path into the payload", () => {
    const claims = {
      repository_id: 99,
      google: { organization_number: "1234" },
      nested: { list: ["a"], nil: null, text: "t" },
    };
    const r = request(claims, {
      providerKeys: [
        "repository_id",
        { key: "google/organization_number", claim: ["google", "organization_number"] },
        { key: "through_array", claim: ["nested", "list", "0"] },
        { key: "through_null", claim: ["nested", "nil", "x"] },
        { key: "through_text", claim: ["nested", "text", "length"] },
        { key: "missing", claim: ["nope", "x"] },
      ],
    });
    assert.deepEqual(r.context.get(`${KEY}:repository_id`), ["99"]);
    assert.deepEqual(r.context.get(`${KEY}:google/organization_number`), ["1234"]);
    for (const k of ["through_array", "through_null", "through_text", "missing"]) {
      assert.equal(r.context.has(`${KEY}:${k}`), false, k);
    }
    // Custom claims are not keys unless the provider documents them.
    assert.equal(request(claims).context.has(`${KEY}:repository_id`), false);
  });

  test("sts:RoleAuthorizedByIdp from the roles claim, when the role is known", () => {
    const roles = "https://aws.amazon.com/roles";
    assert.deepEqual(
      request({ [roles]: ` x ; ${ROLE} ` }, { roleArn: ROLE }).context.get("sts:roleauthorizedbyidp"),
      ["true"],
    );
    assert.deepEqual(request({ [roles]: [ROLE] }, { roleArn: ROLE }).context.get("sts:roleauthorizedbyidp"), [
      "true",
    ]);
    assert.deepEqual(
      request({ [roles]: "arn:aws:iam::1:role/x" }, { roleArn: ROLE }).context.get("sts:roleauthorizedbyidp"),
      ["false"],
    );
    assert.deepEqual(
      request({ [roles]: { x: ROLE } }, { roleArn: ROLE }).context.get("sts:roleauthorizedbyidp"),
      ["false"],
    );
    assert.equal(request({ [roles]: ROLE }).context.has("sts:roleauthorizedbyidp"), false);
    assert.equal(request({ [roles]: null }, { roleArn: ROLE }).context.has("sts:roleauthorizedbyidp"), false);
    assert.equal(request({}, { roleArn: ROLE }).context.has("sts:roleauthorizedbyidp"), false);
  });

  test("the global keys of the request", () => {
    const r = request(
      { sub: "s" },
      { secureTransport: true, sourceIp: "192.0.2.1", userAgent: "aws-cli/1", region: "eu-west-1" },
    );
    assert.deepEqual(keys(r), {
      [`${KEY}:sub`]: ["s"],
      [`${KEY}:aud`]: [],
      [`${KEY}:oaud`]: [],
      "sts:rolesessionname": ["run-1"],
      "aws:federatedprovider": [ARN],
      "aws:principalaccount": ["123456789012"],
      "aws:principaltype": ["User"],
      "aws:userid": [ARN],
      "aws:currenttime": ["2026-11-22T10:00:00Z"],
      "aws:epochtime": [String(Math.floor(NOW / 1000))],
      "aws:securetransport": ["true"],
      "aws:sourceip": ["192.0.2.1"],
      "aws:useragent": ["aws-cli/1"],
      "aws:requestedregion": ["eu-west-1"],
    });
    assert.deepEqual(request({}, { secureTransport: false }).context.get("aws:securetransport"), ["false"]);
    const bare = request({});
    for (const k of [
      "aws:securetransport",
      "aws:sourceip",
      "aws:useragent",
      "aws:requestedregion",
      "sts:sourceidentity",
    ]) {
      assert.equal(bare.context.has(k), false, k);
    }
    assert.deepEqual(bare.actions, ["sts:AssumeRoleWithWebIdentity"]);
  });

  test("a bad tags claim fails the request with the tag error", () => {
    assert.deepEqual(
      webIdentityRequest({
        claims: { [TAGS_CLAIM]: "x" },
        providerUrl: URL,
        roleSessionName: "r1",
        now: NOW,
      }),
      {
        ok: false,
        error: {
          code: "InvalidIdentityToken",
          message: "The session tags claim is malformed: it must be an object",
        },
      },
    );
  });
});

describe("explainWebIdentity: every required action must be allowed", () => {
  const policy = (actions: string[]) =>
    parsePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Federated: ARN }, Action: actions }],
      }),
      { kind: "trust" },
    );
  const tagged = request({ [TAGS_CLAIM]: { principal_tags: { team: ["blue"] } } });

  test("all allowed: allow, with one evaluation per action", () => {
    const explained = explainWebIdentity(policy(["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]), tagged);
    assert.equal(explained.decision, "allow");
    assert.deepEqual(
      explained.actions.map((a) => [a.action, a.evaluation.decision]),
      [
        ["sts:AssumeRoleWithWebIdentity", "allow"],
        ["sts:TagSession", "allow"],
      ],
    );
  });

  test("one not allowed: deny", () => {
    const explained = explainWebIdentity(policy(["sts:AssumeRoleWithWebIdentity"]), tagged);
    assert.equal(explained.decision, "deny");
    assert.deepEqual(
      explained.actions.map((a) => a.evaluation.decision),
      ["allow", "deny"],
    );
    assert.equal(explainWebIdentity(policy(["sts:TagSession"]), tagged).decision, "deny");
  });
});

describe("provider ARNs", () => {
  test("providerArn: undefined unless https", () => {
    assert.equal(providerArn("123456789012", "http://x.example"), undefined);
    assert.equal(providerArn("123456789012", "x.example"), undefined);
    assert.equal(
      providerArn("123456789012", "https://x.example/", "aws-cn"),
      "arn:aws-cn:iam::123456789012:oidc-provider/x.example/",
    );
  });

  test("parseProviderArn: undefined for anything but an OIDC provider ARN", () => {
    assert.equal(parseProviderArn(ROLE), undefined);
    assert.equal(parseProviderArn("not an arn"), undefined);
    assert.deepEqual(parseProviderArn(ARN), {
      partition: "aws",
      account: "123456789012",
      key: KEY,
      url: URL,
    });
  });
});

describe("sessionTagsFromClaims: the two spellings of the tags claim", () => {
  const malformed = (claims: Record<string, unknown>, what: string) =>
    assert.deepEqual(
      sessionTagsFromClaims(claims),
      {
        ok: false,
        error: { code: "InvalidIdentityToken", message: `The session tags claim is malformed: ${what}` },
      },
      JSON.stringify(claims),
    );

  test("no tags claim: no tags", () => {
    assert.deepEqual(sessionTagsFromClaims({ sub: "x", "https://aws.amazon.com/tagsx": 1 }), {
      ok: true,
      tags: undefined,
    });
  });

  test("nested: an object of principal_tags (one string value each) and transitive_tag_keys", () => {
    assert.deepEqual(
      sessionTagsFromClaims({
        [TAGS_CLAIM]: { principal_tags: { Team: ["blue"], env: "prod" }, transitive_tag_keys: ["team"] },
      }),
      {
        ok: true,
        tags: {
          tags: [
            { key: "Team", value: "blue" },
            { key: "env", value: "prod" },
          ],
          transitiveKeys: ["team"],
        },
      },
    );
    assert.deepEqual(sessionTagsFromClaims({ [TAGS_CLAIM]: {} }), {
      ok: true,
      tags: { tags: [], transitiveKeys: [] },
    });
  });

  test("nested: wrong shapes are malformed", () => {
    for (const bad of ["x", null, [], 3]) malformed({ [TAGS_CLAIM]: bad }, "it must be an object");
    for (const bad of ["x", null, [{ a: "b" }], 3])
      malformed({ [TAGS_CLAIM]: { principal_tags: bad } }, "principal_tags must be an object");
    malformed(
      { [TAGS_CLAIM]: { principal_tags: { k: ["a", "b"] } } },
      'tag "k" must have exactly one string value',
    );
    malformed({ [TAGS_CLAIM]: { principal_tags: { k: [] } } }, 'tag "k" must have exactly one string value');
    malformed({ [TAGS_CLAIM]: { principal_tags: { k: 5 } } }, 'tag "k" must have exactly one string value');
    malformed({ [TAGS_CLAIM]: { principal_tags: { k: [5] } } }, 'tag "k" must have exactly one string value');
  });

  test("flattened: one claim per tag, and the transitive keys claim", () => {
    assert.deepEqual(
      sessionTagsFromClaims({
        [`${TAGS_CLAIM}/principal_tags/team`]: ["blue"],
        [`${TAGS_CLAIM}/principal_tags/env`]: "prod",
        [`${TAGS_CLAIM}/transitive_tag_keys`]: ["env"],
        sub: "x",
      }),
      {
        ok: true,
        tags: {
          tags: [
            { key: "team", value: "blue" },
            { key: "env", value: "prod" },
          ],
          transitiveKeys: ["env"],
        },
      },
    );
    malformed(
      { [`${TAGS_CLAIM}/principal_tags/k`]: ["a", "b"] },
      'tag "k" must have exactly one string value',
    );
    malformed({ [`${TAGS_CLAIM}/principal_tags/k`]: [] }, 'tag "k" must have exactly one string value');
    malformed({ [`${TAGS_CLAIM}/principal_tags/k`]: 1 }, 'tag "k" must have exactly one string value');
  });

  test("transitive_tag_keys: an array of strings; the nested one wins over the flattened one", () => {
    for (const bad of ["k", ["k", 1], [1], { k: 1 }]) {
      malformed(
        { [TAGS_CLAIM]: { principal_tags: { k: "v" }, transitive_tag_keys: bad } },
        "transitive_tag_keys must be an array of strings",
      );
      malformed(
        { [`${TAGS_CLAIM}/principal_tags/k`]: "v", [`${TAGS_CLAIM}/transitive_tag_keys`]: bad },
        "transitive_tag_keys must be an array of strings",
      );
    }
    const both = sessionTagsFromClaims({
      [TAGS_CLAIM]: { principal_tags: { a: "1", b: "2" }, transitive_tag_keys: ["a"] },
      [`${TAGS_CLAIM}/transitive_tag_keys`]: ["b"],
    });
    assert.ok(both.ok);
    assert.deepEqual(both.tags?.transitiveKeys, ["a"]);
  });

  test("the tags are validated (AWS's limits)", () => {
    assert.deepEqual(sessionTagsFromClaims({ [TAGS_CLAIM]: { principal_tags: { "aws:x": "v" } } }), {
      ok: false,
      error: { code: "InvalidParameterValue", message: 'The tag key "aws:x" uses the reserved prefix aws:.' },
    });
  });
});

describe("validateSessionTags: AWS's tag rules", () => {
  const tag = (key: string, value = "v") => ({ key, value });
  const invalid = (tags: { key: string; value: string }[], message: string, transitive: string[] = []) =>
    assert.deepEqual(validateSessionTags(tags, transitive), { code: "InvalidParameterValue", message });

  test("at most 50 tags", () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => tag(`k${i}`));
    assert.equal(validateSessionTags(tags(50), []), undefined);
    invalid(tags(51), "The number of session tags (51) exceeds the limit of 50.");
  });

  test("keys: 1 to 128 of the tag alphabet; long keys are cut to 40 characters in the message", () => {
    const rule = "keys are 1 to 128 characters of letters, digits, spaces and _.:/=+-@.";
    assert.equal(validateSessionTags([tag("k".repeat(128)), tag("a b_.:/=+-@é1")], []), undefined);
    invalid([tag("")], `The tag key "" is invalid: ${rule}`);
    invalid([tag("k".repeat(129))], `The tag key "${"k".repeat(40)}…" is invalid: ${rule}`);
    invalid([tag(`${"k".repeat(40)}!`)], `The tag key "${"k".repeat(40)}…" is invalid: ${rule}`);
    invalid([tag(`${"k".repeat(39)}!`)], `The tag key "${"k".repeat(39)}!" is invalid: ${rule}`);
    invalid([tag("a*b")], `The tag key "a*b" is invalid: ${rule}`);
  });

  test("the aws: prefix is reserved, in any case", () => {
    invalid([tag("aws:team")], 'The tag key "aws:team" uses the reserved prefix aws:.');
    invalid([tag("AWS:team")], 'The tag key "AWS:team" uses the reserved prefix aws:.');
    assert.equal(validateSessionTags([tag("awsteam"), tag("x:aws:")], []), undefined);
  });

  test("values: 0 to 256 of the tag alphabet", () => {
    const rule = "values are 0 to 256 characters of letters, digits, spaces and _.:/=+-@.";
    assert.equal(validateSessionTags([tag("a", ""), tag("b", "v".repeat(256))], []), undefined);
    invalid([tag("a", "v".repeat(257))], `The value of tag "a" is invalid: ${rule}`);
    invalid([tag("a", "x!")], `The value of tag "a" is invalid: ${rule}`);
  });

  test("keys are unique ignoring case; transitive keys must be among them (ignoring case)", () => {
    invalid(
      [tag("Team"), tag("team")],
      "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    assert.equal(validateSessionTags([tag("Team")], ["team", "TEAM"]), undefined);
    invalid([tag("Team")], "The specified transitive tag key must be included in the requested tags.", [
      "env",
    ]);
    invalid([], "The specified transitive tag key must be included in the requested tags.", ["env"]);
  });
});

describe("assumeRoleRequest", () => {
  const base = { roleSessionName: "s1", now: NOW };

  test("a caller that is not root, a user or a role session: CallerArnError (bad input)", () => {
    const arn = "arn:aws:iam::123456789012:role/deploy";
    assert.throws(
      () => assumeRoleRequest({ ...base, caller: { arn } }),
      (e: unknown) =>
        e instanceof CallerArnError &&
        e.code === "ERR_CALLER_ARN" &&
        e.exitClass === "input" &&
        e.message ===
          `caller ${arn} is not an IAM principal ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>, arn:aws:iam::<account>:user/<name>, or :root)`,
    );
  });

  test("a user: the principal is the user ARN, aws:userid only when known", () => {
    const arn = "arn:aws:iam::123456789012:user/alice";
    const r = assumeRoleRequest({ ...base, caller: { arn } });
    assert.deepEqual(r.principal, { type: "AWS", arn, account: "123456789012" });
    assert.equal(r.principalType, "User");
    assert.deepEqual(r.actions, ["sts:AssumeRole"]);
    assert.equal(r.context.has("aws:userid"), false);
    assert.deepEqual(r.context.get("aws:principaltype"), ["User"]);
    assert.deepEqual(r.context.get("aws:principalarn"), [arn]);
    for (const k of [...r.context.keys()]) {
      assert.ok(!k.startsWith("aws:principaltag/") && !k.startsWith("aws:requesttag/"), k);
    }
    assert.equal(r.context.has("aws:tagkeys"), false);
    assert.equal(r.context.has("sts:transitivetagkeys"), false);
  });

  test("root: the account is aws:userid", () => {
    const r = assumeRoleRequest({ ...base, caller: { arn: "arn:aws:iam::123456789012:root" } });
    assert.equal(r.principalType, "Account");
    assert.deepEqual(r.context.get("aws:userid"), ["123456789012"]);
  });

  test("a role session without its role ARN: the role ARN is derived (path /, same partition)", () => {
    const arn = "arn:aws-cn:sts::123456789012:assumed-role/deploy/run-1";
    const r = assumeRoleRequest({ ...base, caller: { arn } });
    assert.deepEqual(r.principal, {
      type: "AWS",
      arn,
      account: "123456789012",
      roleArn: "arn:aws-cn:iam::123456789012:role/deploy",
    });
    assert.equal(r.principalType, "AssumedRole");
    assert.deepEqual(r.context.get("aws:principalarn"), ["arn:aws-cn:iam::123456789012:role/deploy"]);
  });

  test("tags and transitive keys each make sts:TagSession required; keys only when there are some", () => {
    const caller = { arn: "arn:aws:iam::123456789012:user/alice" };
    const tagged = assumeRoleRequest({ ...base, caller, tags: [{ key: "team", value: "blue" }] });
    assert.deepEqual(tagged.actions, ["sts:AssumeRole", "sts:TagSession"]);
    assert.deepEqual(tagged.context.get("aws:tagkeys"), ["team"]);
    assert.deepEqual(tagged.context.get("aws:requesttag/team"), ["blue"]);
    assert.equal(tagged.context.has("sts:transitivetagkeys"), false);
    const transitive = assumeRoleRequest({ ...base, caller, tags: [], transitiveTagKeys: ["team"] });
    assert.deepEqual(transitive.actions, ["sts:AssumeRole", "sts:TagSession"]);
    assert.deepEqual(transitive.context.get("sts:transitivetagkeys"), ["team"]);
    assert.equal(transitive.context.has("aws:tagkeys"), false);
    const none = assumeRoleRequest({ ...base, caller, tags: [], transitiveTagKeys: [] });
    assert.deepEqual(none.actions, ["sts:AssumeRole"]);
    const both = assumeRoleRequest({
      ...base,
      caller,
      sourceIdentity: "me",
      tags: [{ key: "a", value: "b" }],
    });
    assert.deepEqual(both.actions, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]);
  });

  test("the caller's session tags become aws:PrincipalTag keys", () => {
    const r = assumeRoleRequest({
      ...base,
      caller: {
        arn: "arn:aws:sts::123456789012:assumed-role/deploy/run-1",
        principalTags: [{ key: "Team", value: "blue" }],
      },
    });
    assert.deepEqual(r.context.get("aws:principaltag/team"), ["blue"]);
    assert.deepEqual(
      [...r.context.keys()].filter((k) => k.startsWith("aws:principaltag/")),
      ["aws:principaltag/team"],
    );
  });
});
