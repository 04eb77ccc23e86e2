import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { encodePolicyDocument } from "../../../src/aws/wire/encoding.js";
import { createQueryEndpoint, type QueryService } from "../../../src/aws/wire/endpoint.js";
import { AwsError } from "../../../src/aws/wire/errors.js";
import { QueryParams } from "../../../src/aws/wire/params.js";
import { verifySigV4 } from "../../../src/aws/wire/sigv4.js";
import { Violations } from "../../../src/aws/wire/validation.js";
import { escapeXml, members, renderError, renderSuccess } from "../../../src/aws/wire/xml.js";
import { manualClock } from "../../../src/lib/clock.js";

describe("query parameters", () => {
  test("member lists, struct lists, tags and empty lists, in any order", () => {
    const p = QueryParams.parse(
      "ClientIDList.member.2=b&Action=X&ClientIDList.member.1=a&ThumbprintList=&Tags.member.1.Value=test&Tags.member.1.Key=env" +
        "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FX&Name=%E2%9C%93+x",
    );
    assert.deepEqual(p.list("ClientIDList"), ["a", "b"]);
    assert.deepEqual(p.list("ThumbprintList"), []);
    assert.equal(p.list("Missing"), undefined);
    assert.deepEqual(p.tags("Tags"), [{ Key: "env", Value: "test" }]);
    assert.deepEqual(p.structList("PolicyArns")?.[0]?.arn, "arn:aws:iam::aws:policy/X");
    assert.equal(p.string("Name"), "✓ x");
  });
  test("form decoding agrees with URLSearchParams (WHATWG), well-formed or not", () => {
    const forms = [
      "a=1&b=2&a=3",
      "?Action=X&Name=%E2%9C%93+x",
      "&&Flag&Empty=&=v&x%3Dy=1%3D2",
      "p=50%&q=%zz&r=%E2%9C&s=%C3%A9",
      "n+a+m+e=a%2Bb+c&plus=+",
      "t=\u00e9\u4e2d&u=%F0%9F%98%80",
      "",
      "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fci&WebIdentityToken=eyJ.e30.sig_-",
    ];
    for (const form of forms) {
      const p = QueryParams.parse(form);
      const expected = new Map(new URLSearchParams(form));
      assert.deepEqual(new Map(p.entries()), expected, form);
    }
  });
  test("a tag without a key and a non-integer are ValidationErrors", () => {
    assert.throws(
      () => QueryParams.parse("Tags.member.1.Value=v").tags("Tags"),
      (e: AwsError) => e.code === "ValidationError",
    );
    assert.throws(
      () => QueryParams.parse("DurationSeconds=1e3").integer("DurationSeconds"),
      /must be an integer/,
    );
  });
});

describe("XML rendering", () => {
  test("result wrapper, namespace, member lists, escaping and empty responses", () => {
    const xml = renderSuccess(
      "GetThing",
      "https://iam.amazonaws.com/doc/2010-05-08/",
      { A: "x<&>", L: members(["1", "2"]), E: members([]), U: undefined },
      "rid",
    );
    assert.equal(
      xml,
      '<GetThingResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetThingResult><A>x&lt;&amp;&gt;</A><L><member>1</member><member>2</member></L><E/></GetThingResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetThingResponse>',
    );
    assert.equal(
      renderSuccess("Del", "ns", undefined, "r"),
      '<DelResponse xmlns="ns"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DelResponse>',
    );
  });
  test("escaping: plain text as is, markup escaped, characters XML cannot carry replaced, pairs kept", () => {
    const plain = "ASIA2345ABCDEFGHIJKL/+=.:-_ ok";
    assert.equal(escapeXml(plain), plain);
    assert.equal(escapeXml(`a"b'c&d`), "a&quot;b&apos;c&amp;d");
    assert.equal(escapeXml("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
    assert.equal(escapeXml("bell\u0007 nul\u0000 \uFFFE"), "bell\uFFFD nul\uFFFD \uFFFD");
    assert.equal(
      escapeXml("pair \uD83D\uDE00 lone \uD83D end \uDE00"),
      "pair \uD83D\uDE00 lone \uFFFD end \uFFFD",
    );
  });
  test("error envelope", () => {
    const e = new AwsError("ServiceFailure", "x");
    assert.equal(e.type, "Receiver");
    assert.match(
      renderError("ns", new AwsError("NoSuchEntity", "gone"), "r"),
      /<Type>Sender<\/Type><Code>NoSuchEntity<\/Code><Message>gone<\/Message><\/Error><RequestId>r<\/RequestId>/,
    );
  });
  test("policy documents are percent-encoded including !'()*", () => {
    assert.equal(encodePolicyDocument('{"a": "(b)*!"}'), "%7B%22a%22%3A%20%22%28b%29%2A%21%22%7D");
  });
});

describe("validation errors", () => {
  test("several violations in one message", () => {
    const v = new Violations();
    v.length("a", "roleSessionName", 2, 64);
    v.range(20, "durationSeconds", 900, 43200);
    assert.throws(
      () => v.throwIfAny(),
      (e: AwsError) =>
        e.message ===
        "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '20' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
  });
});

describe("query endpoint", () => {
  const service: QueryService<string> = {
    version: "2011-06-15",
    namespace: "https://sts.amazonaws.com/doc/2011-06-15/",
    signingName: "sts",
    actions: {
      Echo: { unsigned: true, run: (p) => ({ Value: p.string("V") }) },
      Boom: {
        unsigned: true,
        run: () => {
          throw new Error("bug");
        },
      },
      Signed: { run: (_p, c) => ({ Caller: c.caller }) },
    },
  };
  const endpoint = createQueryEndpoint({
    services: [service],
    authenticate: async () => "me",
    newRequestId: () => "req-1",
  });
  const post = (body: string) =>
    endpoint({
      method: "POST",
      url: "/",
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
    });

  test("dispatches POST form bodies and GET query strings", async () => {
    const r = await post("Action=Echo&Version=2011-06-15&V=hi");
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-amzn-requestid"], "req-1");
    assert.match(r.body, /<EchoResult><Value>hi<\/Value><\/EchoResult>/);
    const g = await endpoint({
      method: "GET",
      url: "/?Action=Echo&Version=2011-06-15&V=q",
      headers: {},
      body: "",
    });
    assert.match(g.body, /<Value>q<\/Value>/);
    assert.match((await post("Action=Signed&Version=2011-06-15")).body, /<Caller>me<\/Caller>/);
  });
  test("unknown actions and versions, and bugs, are well-formed errors", async () => {
    const r = await post("Action=Nope&Version=2011-06-15");
    assert.equal(r.status, 400);
    assert.match(
      r.body,
      /<Code>InvalidAction<\/Code><Message>Could not find operation Nope for version 2011-06-15<\/Message>/,
    );
    assert.match(r.body, /<RequestId>req-1<\/RequestId>/);
    assert.equal((await post("Action=Echo&Version=1999-01-01")).status, 400);
    assert.equal((await post("garbage%%%&&==")).status, 400);
    const b = await post("Action=Boom&Version=2011-06-15");
    assert.equal(b.status, 500);
    assert.match(b.body, /<Type>Receiver<\/Type><Code>InternalFailure<\/Code>/);
    assert.doesNotMatch(b.body, /bug/);
  });
});

describe("SigV4 verification", () => {
  const now = Date.UTC(2026, 10, 22, 4, 20, 26);
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  async function sign(secret: string, extra: Record<string, string> = {}) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: "123456789012", secretAccessKey: secret },
      region: "eu-central-1",
      service: "sts",
      sha256: Hash.bind(null, "sha256"),
    });
    const signed = await signer.sign(
      {
        method: "POST",
        protocol: "http:",
        hostname: "127.0.0.1",
        path: "/",
        query: {},
        headers: {
          host: "127.0.0.1:8080",
          "content-type": "application/x-www-form-urlencoded",
          "amz-sdk-request": "attempt=1",
          ...extra,
        },
        body,
      },
      { signingDate: new Date(now) },
    );
    return { method: "POST", url: "/", headers: signed.headers as Record<string, string>, body };
  }
  const resolve = (akid: string) => {
    if (akid !== "123456789012") throw new AwsError("InvalidClientTokenId", "bad");
    return { secretAccessKey: "test", principal: "root" };
  };

  test("accepts what the SDK signs, in any region; rejects a wrong secret, an altered header, host or body", async () => {
    const clock = manualClock(now + 1000);
    assert.equal(await verifySigV4(await sign("test"), "sts", resolve, clock), "root");
    await assert.rejects(
      verifySigV4(await sign("wrong"), "sts", resolve, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
    const altered = await sign("test");
    altered.headers["amz-sdk-request"] = "attempt=2";
    await assert.rejects(
      verifySigV4(altered, "sts", resolve, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
    const host = await sign("test");
    host.headers.host = "localhost:8080";
    await assert.rejects(
      verifySigV4(host, "sts", resolve, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
    const unsignedHeaderChanged = await sign("test");
    unsignedHeaderChanged.headers["user-agent"] = "other";
    assert.equal(await verifySigV4(unsignedHeaderChanged, "sts", resolve, clock), "root");
    await assert.rejects(
      verifySigV4({ ...(await sign("test")), body: `${body}&X=1` }, "sts", resolve, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
  });
  test("stale dates, missing and malformed headers", async () => {
    const stale = manualClock(now + 6 * 60 * 1000);
    await assert.rejects(
      verifySigV4(await sign("test"), "sts", resolve, stale),
      (e: AwsError) =>
        e.code === "SignatureDoesNotMatch" &&
        /^Signature expired: 20261122T042026Z is now earlier than/.test(e.message),
    );
    const clock = manualClock(now);
    await assert.rejects(
      verifySigV4({ method: "POST", url: "/", headers: {}, body }, "sts", resolve, clock),
      (e: AwsError) => e.code === "MissingAuthenticationToken" && e.status === 403,
    );
    await assert.rejects(
      verifySigV4(
        { method: "POST", url: "/", headers: { authorization: "AWS4 nonsense" }, body },
        "sts",
        resolve,
        clock,
      ),
      (e: AwsError) => e.code === "IncompleteSignature",
    );
    await assert.rejects(
      verifySigV4(await sign("test"), "iam", resolve, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
  });
});

describe("SigV4 against a request captured from AWS CLI v1 (botocore 1.43)", () => {
  test("verifies botocore's signature over exactly content-type;host;x-amz-date", async () => {
    const request = {
      method: "POST",
      url: "/",
      headers: {
        host: "127.0.0.1:18998",
        "accept-encoding": "identity",
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "user-agent": "aws-cli/1.45.11 botocore/1.43.11",
        "x-amz-date": "20261122T053147Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=123456789012/20261122/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=72b14d2051f5e49f786cf76857605f03ec494e9b717eefa0de28973573059ffa",
        "amz-sdk-request": "attempt=1",
      },
      body: "Action=GetCallerIdentity&Version=2011-06-15",
    };
    const resolve = () => ({ secretAccessKey: "test", principal: "root" });
    const clock = manualClock(Date.UTC(2026, 10, 22, 5, 31, 50));
    assert.equal(await verifySigV4(request, "sts", resolve, clock), "root");
    const wrong = () => ({ secretAccessKey: "tesT", principal: "root" });
    await assert.rejects(
      verifySigV4(request, "sts", wrong, clock),
      (e: AwsError) => e.code === "SignatureDoesNotMatch",
    );
  });
});
