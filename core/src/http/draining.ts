/**
 * While arizuko stops, requests that would bring work (every method but GET, HEAD and
 * OPTIONS: chat posts, adapters' inbound, platform webhooks) are rejected with 503 and
 * `Retry-After`, so senders retry against the instance that starts next. Reads go on:
 * open chats still see the replies of the runs that finish during the stop.
 */
import type { FastifyInstance } from "fastify";
import { sendError } from "./server.js";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Seconds a refused sender should wait: about the time a restart takes. */
export const STOPPING_RETRY_AFTER_S = 10;

export function rejectWritesWhileStopping(server: FastifyInstance, stopping: () => boolean): void {
  server.addHook("onRequest", async (request, reply) => {
    if (!stopping() || READS.has(request.method)) return;
    request.log.info({ method: request.method, url: request.url }, "request rejected: arizuko is stopping");
    reply.header("retry-after", String(STOPPING_RETRY_AFTER_S)).header("connection", "close");
    return sendError(reply, 503, "ARZ_ERR_STOPPING", `arizuko is stopping; send the request again in ${STOPPING_RETRY_AFTER_S} s, once it is back`);
  });
}
