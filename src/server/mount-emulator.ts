import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Emulator } from "../aws/emulator.js";

/**
 * The emulator's `onInternalError` for a server with a logger: the client got `InternalFailure` and the
 * request id (`x-amzn-RequestId`); the cause is logged at error level under that id (redacted by the
 * logger's `err` serializer, server/logger.ts), for `keyless emulator` and `serve --aws-emulator` alike.
 */
export function logEmulatorInternalError(logger: Logger): (err: unknown, requestId: string) => void {
  return (err, requestId) => logger.error({ err, requestId }, "AWS emulator internal error");
}

/**
 * Mounts the AWS IAM + STS emulator on the issuer's server (`keyless serve --aws-emulator`): the AWS
 * Query protocol is `POST /` (and `GET /?Action=…`) with a form body the emulator's wire layer parses
 * itself, so Fastify hands it the raw request untouched (its own body parsing is switched off for these
 * routes) and the emulator's node:http listener answers.
 */
export async function mountEmulator(app: FastifyInstance, emulator: Emulator): Promise<void> {
  await app.register(async (scope) => {
    // Leave the body stream unread: the emulator reads and bounds it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    const forward = async (
      req: { raw: import("node:http").IncomingMessage },
      reply: { hijack(): void; raw: import("node:http").ServerResponse },
    ) => {
      reply.hijack();
      emulator.listener(req.raw, reply.raw);
    };
    scope.post("/", forward);
    scope.get("/", async (req, reply) => {
      if (!/[?&]Action=/.test(req.url)) {
        return reply.code(200).send({ service: "keyless", issuer: "/.well-known/openid-configuration" });
      }
      return forward(req, reply);
    });
  });
  app.addHook("onClose", async () => emulator.close());
}
