import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { runKeyless } from "../support/cli.js";
import { type RunningEmulator, startEmulator } from "../support/emulator.js";
import { freePort } from "../support/ports.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { type ServeProcess, startServe } from "../support/serve.js";
import { tempDir } from "../support/tmp.js";

/**
 * Several emulator nodes as one: `keyless serve --aws-emulator` processes (and a standalone `keyless
 * emulator --database`) with their own data dirs on one PostgreSQL. With the same KEYLESS_EMULATOR_SEALING_KEY, a session issued by one node is accepted by the
 * other; a node with its own key (the data dir's emulator.key) refuses it as AWS refuses an unknown
 * session token. The AWS SDK for JavaScript v3 is the client.
 */
const ACCOUNT = "123456789012";

describe("two emulator nodes on one PostgreSQL with a shared sealing key", () => {
  const dir = tempDir();
  let pg: TestPostgres | undefined;
  const servers: ServeProcess[] = [];
  const emulators: RunningEmulator[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const e of emulators) await e.stop();
    pg?.stop();
    dir.cleanup();
  });

  test("node B accepts node A's session credentials; a node with another key refuses them", async (t) => {
    pg = await startPostgres();
    if (!pg) return t.skip("PostgreSQL binaries are not installed");
    const sealingKey = Buffer.alloc(32, 9).toString("base64");
    const endpoints: Record<string, string> = {};
    for (const name of ["a", "b", "c"]) {
      const port = await freePort();
      const env = {
        PATH: process.env.PATH,
        HOME: join(dir.path, name),
        KEYLESS_DATABASE: pg.url,
        KEYLESS_KEK: Buffer.alloc(32, 7).toString("base64"),
        KEYLESS_DATA_DIR: join(dir.path, name),
        ...(name === "c" ? {} : { KEYLESS_EMULATOR_SEALING_KEY: sealingKey }),
      };
      servers.push(await startServe(["--port", String(port), "--log-level", "error", "--aws-emulator"], env));
      endpoints[name] = `http://127.0.0.1:${port}`;
    }
    // A fourth node: the standalone `keyless emulator` on the same PostgreSQL with the same key.
    const standalone = await startEmulator(join(dir.path, "d"), ["--database", pg.url], undefined, {
      ...process.env,
      KEYLESS_EMULATOR_SEALING_KEY: sealingKey,
    });
    emulators.push(standalone);
    endpoints.d = standalone.endpoint;
    const root = { accessKeyId: ACCOUNT, secretAccessKey: "test" };
    const client = { region: "us-east-1", maxAttempts: 1 };
    const iamA = new IAMClient({ ...client, endpoint: endpoints.a, credentials: root });
    await iamA.send(
      new CreateRoleCommand({
        RoleName: "deploy",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    const stsA = new STSClient({ ...client, endpoint: endpoints.a, credentials: root });
    const assumed = await stsA.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, RoleSessionName: "run-1" }),
    );
    const c = assumed.Credentials!;
    const session = {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
    const whoAmI = (node: string) =>
      new STSClient({ ...client, endpoint: endpoints[node], credentials: session }).send(
        new GetCallerIdentityCommand({}),
      );
    const expected = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/run-1`;
    assert.equal((await whoAmI("a")).Arn, expected);
    assert.equal((await whoAmI("b")).Arn, expected, "node B opens node A's session with the shared key");
    assert.equal((await whoAmI("d")).Arn, expected, "so does a standalone keyless emulator with --database");
    await assert.rejects(whoAmI("c"), (e: Error) => {
      assert.match(e.name, /InvalidClientTokenId/, `${e.name}: ${e.message}`);
      return true;
    });
  });

  test("keyless emulator --database naming a PostgreSQL that does not answer: one line, exit 3, no password", async () => {
    const port = await freePort();
    const r = await runKeyless([
      "emulator",
      "--port",
      "0",
      "--data-dir",
      join(dir.path, "unreachable"),
      "--database",
      `postgres://postgres:s3cret@127.0.0.1:${port}/x`,
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^keyless: cannot reach the database at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/x: .*\n$`,
      ),
    );
    assert.doesNotMatch(r.stderr, /s3cret/);
  });
});
