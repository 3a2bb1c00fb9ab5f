/** Helpers of every dashboard write: the session's CSRF token for htmx, and the audit log. */
import type { Host, UserInfo } from "@arizuko/sdk";
import type { FastifyRequest } from "fastify";

/** Returns the CSRF token of the request's session (the `arizuko_csrf` cookie), or "". */
export function csrfOf(request: FastifyRequest): string {
  return (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.arizuko_csrf ?? "";
}

/** Records an operator's change in the audit log and the log. */
export function record(host: Host, user: UserInfo, action: string, target: string, detail: string | null): void {
  host.instance.audit.record({ actor: `user:${user.username}`, action, target, detail });
  host.log.info({ user: user.username, action, target }, "dashboard action");
}
