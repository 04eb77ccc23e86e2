import assert from "node:assert/strict";
import { createServer } from "node:http";
import { join } from "node:path";
import { IAMClient } from "@aws-sdk/client-iam";
import { createEmulator, type Emulator } from "../../src/aws/emulator.js";
import { systemClock } from "../../src/lib/clock.js";
import { cryptoIds } from "../../src/lib/ids.js";

/** The emulator in this process, on a loopback port, with AWS SDK v3 IAM clients for its accounts. */
export interface InProcessEmulator {
  readonly emulator: Emulator;
  readonly endpoint: string;
  /** An IAM client signed with the account's static test credentials (the account's root); one attempt. */
  iam(account: string): IAMClient;
  /** Destroys the clients, closes the server and the emulator. */
  close(): Promise<void>;
}

export async function startInProcessEmulator(dataDir: string): Promise<InProcessEmulator> {
  const emulator = await createEmulator({
    dataDir: join(dataDir, "emulator"),
    clock: systemClock,
    ids: cryptoIds,
  });
  const server = createServer(emulator.listener);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const clients: IAMClient[] = [];
  return {
    emulator,
    endpoint,
    iam(account) {
      const client = new IAMClient({
        endpoint,
        region: "us-east-1",
        maxAttempts: 1,
        credentials: { accessKeyId: account, secretAccessKey: "test" },
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
      await emulator.close();
    },
  };
}

/** The call is refused with the service's wire error code (the SDK keeps it in `Code`) and, if given, message. */
export async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: Error & { Code?: string }) => {
    assert.equal(e.Code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}
