/**
 * The access rule of routes registered with `auth: "operator"`: the admin token from
 * `<data>/admin.token` passes, and so does a signed-in user with the operator role
 * (bearer token, or the session cookie with the CSRF check for requests that change state).
 */
import type { FastifyRequest } from "fastify";
import { identify } from "./request-auth.js";
import type { AuthService } from "./service.js";

export async function operatorRefusal(request: FastifyRequest, auth: AuthService, adminToken: () => string): Promise<{ status: number; code: string; reason: string } | null> {
  const who = await identify(request, auth, adminToken);
  if (!who.caller && who.status === 403) return { status: 403, code: "ARZ_ERR_CSRF", reason: who.reason };
  if (!who.caller) {
    const hint = ". This endpoint needs an operator: Authorization: Bearer <token> with the admin token from <data>/admin.token, or an operator's access token from POST /auth/token";
    return { status: 401, code: "ARZ_ERR_UNAUTHORIZED", reason: `${who.reason}${hint}` };
  }
  if (who.caller.kind === "admin-token" || who.caller.claims.role === "operator") return null;
  return { status: 403, code: "ARZ_ERR_FORBIDDEN", reason: `user ${who.caller.claims.username} is not an operator; an operator can give the role with \`arizuko user role ${who.caller.claims.username} operator\`` };
}
