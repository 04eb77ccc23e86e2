import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/**
 * Fastify's request log in one line per request instead of two. Fastify writes an `incoming request`
 * line when a request arrives and a `request completed` line when its answer is sent
 * (https://fastify.dev/docs/latest/Reference/Logging/); each line is a pino call with the logger's
 * redaction, and at the token endpoint's rate the pair cost about 100 µs of CPU per mint
 * (docs/performance.md). This controller drops the first and puts the request into the second:
 * `{ reqId, req: { method, url, host, remoteAddress, remotePort }, res: { statusCode }, responseTime,
 * msg: "request completed" }` at info, the same fields the pair had (the URL through the logger's `req`
 * serializer, so secret-bearing query parameters stay redacted: server/logger.ts). A request whose
 * answer failed to be sent logs `request errored` at error level with the same fields and the error.
 * Every other line Fastify writes (not found, stream errors, 5xx from its default handler) is unchanged.
 *
 * What is lost: a request that never completes (a handler hanging, the process killed) leaves no line;
 * the audit table, not the log, is the record of minted tokens.
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        "request errored",
      );
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
    }
  }
}
