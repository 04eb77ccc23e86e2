import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { explainAssumeRole, explainAssumeRoleWithWebIdentity } from "../../src/analysis/explain/report.js";
import { lintSource } from "../../src/analysis/lint/lint.js";
import { parsePolicy } from "../../src/core/policy/index.js";
import type { RunningEmulator } from "../support/emulator.js";
import { startEmulatorTrusting } from "../support/emulator-issuers.js";
import type { TestIssuer } from "../support/oidc-issuer.js";
import { tempDir } from "../support/tmp.js";

/**
 * The emulator, `explain` and `lint` agree on every policy of the labelled corpus
 * (test/fixtures/lint/corpus/cases.json, the corpus `npm run bench:lint` measures):
 * - the emulator (real STS calls through the AWS SDK v3, tokens signed by a test issuer reached through
 *   --issuer-alias under the platform's real host) decides every probe as `explain` does;
 * - lint flags a policy (a finding above info) exactly when `explain` admits one of its attacker probes
 *   or refuses one of its legitimate ones;
 * - a policy the emulator refuses to create is one lint reports as refused at write time (OIDC-109).
 * Probes whose caller is a role session (a vendor's role, a chained role) and contexts the emulator
 * cannot produce (a source IP) are compared between lint and explain only.
 */
interface Probe {
  name: string;
  role: "legit" | "attacker";
  claims?: Record<string, unknown>;
  caller?: string;
  context?: Record<string, string>;
}
interface Case {
  id: string;
  label: "bad" | "good";
  policy: { Statement: { Principal: unknown }[] };
  probes: Probe[];
  agreement?: string;
}
const FIXTURE = fileURLToPath(new URL("../../../test/fixtures/lint/corpus/cases.json", import.meta.url));
const { cases } = JSON.parse(readFileSync(FIXTURE, "utf8")) as { cases: Case[] };
const ACCOUNT = "444455556666";
const SECRET = "test";

/** The IAM OIDC provider key of a case's first Federated OIDC principal. */
function providerOf(c: Case): string | undefined {
  for (const s of c.policy.Statement) {
    const p = s.Principal as { Federated?: string | string[] } | string;
    const federated = typeof p === "object" ? [p.Federated ?? []].flat() : [];
    for (const f of federated) {
      const at = f.indexOf(":oidc-provider/");
      if (at >= 0) return f.slice(at + ":oidc-provider/".length);
    }
  }
  return undefined;
}

const webIdentity = cases.filter((c) => c.probes.some((p) => p.claims) && providerOf(c));
const hosts = [...new Set(webIdentity.map((c) => providerOf(c)!))];

describe("the labelled corpus: emulator, explain and lint agree", () => {
  const dir = tempDir("keyless-corpus-");
  const issuers = new Map<string, TestIssuer>();
  let emulator: RunningEmulator;
  const refused = new Map<string, string>();
  const client = <T>(make: new (o: object) => T, account: string): T =>
    new make({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId: account, secretAccessKey: SECRET },
    });

  before(async () => {
    emulator = await startEmulatorTrusting(dir.path, hosts, issuers);
    // The chained case names a role of the tooling account: IAM accepts a role principal only if it exists.
    const tooling = client(IAMClient, "111111111111");
    await tooling.send(
      new CreateRoleCommand({
        RoleName: "demo-staging-apply",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "111111111111" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    tooling.destroy();
    const iam = client(IAMClient, ACCOUNT);
    for (const key of hosts) {
      const audiences = new Set(
        webIdentity
          .filter((c) => providerOf(c) === key)
          .flatMap((c) => c.probes.map((p) => p.claims?.aud))
          .filter((a): a is string => typeof a === "string"),
      );
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${key}`, ClientIDList: [...audiences] }),
      );
    }
    for (const c of cases) {
      if (c.agreement || !c.probes.some((p) => p.claims || p.caller?.endsWith(":root"))) continue;
      try {
        await iam.send(
          new CreateRoleCommand({ RoleName: c.id, AssumeRolePolicyDocument: JSON.stringify(c.policy) }),
        );
      } catch (error) {
        refused.set(c.id, `${(error as Error).name}: ${(error as Error).message}`);
      }
    }
    iam.destroy();
  });
  after(async () => {
    await emulator?.stop();
    for (const i of issuers.values()) await i.close();
    dir.cleanup();
  });

  /** explain's decision for a probe (the policy engine, as `keyless explain` runs it). */
  function explained(c: Case, p: Probe, context = p.context ?? {}): "allow" | "deny" {
    const policy = parsePolicy(JSON.stringify(c.policy), { kind: "trust" });
    if (p.claims) {
      return explainAssumeRoleWithWebIdentity({
        policy,
        claims: { iss: `https://${providerOf(c)}`, ...p.claims },
        sessionName: "corpus",
        now: Math.floor(Date.now() / 1000),
      }).decision;
    }
    return explainAssumeRole({
      policy,
      callerArn: p.caller!,
      targetRoleArn: `arn:aws:iam::${ACCOUNT}:role/${c.id}`,
      sessionName: "corpus",
      context,
      now: Math.floor(Date.now() / 1000),
    }).decision;
  }

  /** The emulator's decision: the STS call succeeds, or AWS's refusal. */
  async function emulated(c: Case, p: Probe): Promise<"allow" | "deny"> {
    const RoleArn = `arn:aws:iam::${ACCOUNT}:role/${c.id}`;
    if (p.claims) {
      const token = await issuers.get(providerOf(c)!)!.sign(p.claims);
      const sts = new STSClient({ endpoint: emulator.endpoint, region: "us-east-1", maxAttempts: 1 });
      try {
        await sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn,
            RoleSessionName: "corpus",
            WebIdentityToken: token,
          }),
        );
        return "allow";
      } catch (error) {
        assert.equal((error as Error).name, "AccessDenied", `${c.id}/${p.name}: ${(error as Error).message}`);
        return "deny";
      } finally {
        sts.destroy();
      }
    }
    const account = p.caller!.split(":")[4]!;
    const sts = client(STSClient, account);
    try {
      const ExternalId = p.context?.["sts:ExternalId"];
      await sts.send(
        new AssumeRoleCommand({ RoleArn, RoleSessionName: "corpus", ...(ExternalId ? { ExternalId } : {}) }),
      );
      return "allow";
    } catch (error) {
      assert.equal((error as Error).name, "AccessDenied", `${c.id}/${p.name}: ${(error as Error).message}`);
      return "deny";
    } finally {
      sts.destroy();
    }
  }

  for (const c of cases) {
    if (c.probes.length === 0) continue;
    test(`${c.id} (${c.label})`, async () => {
      const findings = lintSource({
        file: `${c.id}.json`,
        location: "policy",
        policy: JSON.stringify(c.policy),
      });
      const flagged = findings.some((f) => f.severity !== "info");
      const decisions = c.probes.map((p) => ({ p, decision: explained(c, p) }));
      const wrong = decisions.filter(({ p, decision }) => (p.role === "attacker") === (decision === "allow"));
      assert.equal(
        flagged,
        wrong.length > 0,
        `lint ${flagged ? "flags" : "passes"} ${c.id}, explain: ${decisions.map((d) => `${d.p.name} → ${d.decision}`).join("; ")}; findings: ${findings.map((f) => f.rule).join(", ")}`,
      );
      if (c.agreement) return;
      const refusal = refused.get(c.id);
      if (refusal !== undefined) {
        assert.ok(
          findings.some((f) => f.rule === "OIDC-109"),
          `the emulator refused to create ${c.id} (${refusal}); lint does not say IAM refuses it`,
        );
        return;
      }
      assert.ok(
        !findings.some((f) => f.rule === "OIDC-109"),
        `lint says IAM refuses ${c.id}, the emulator created it`,
      );
      for (const p of c.probes) {
        const emulatable =
          p.claims !== undefined ||
          (p.caller?.endsWith(":root") && Object.keys(p.context ?? {}).every((k) => k === "sts:ExternalId"));
        if (!emulatable) continue;
        assert.equal(await emulated(c, p), explained(c, p), `${c.id}: ${p.name}`);
      }
    });
  }
});
