/**
 * Pairing over HTTP, for operators signed in on the web (or holding the admin token):
 *   GET  /admin/pairings                     codes sent and not yet approved or expired
 *   POST /admin/pairings/{code}/approve      admits the sender the code was sent to
 *   POST /admin/approvals/revoke { sender }  withdraws a sender's approval
 * The same actions as `arizuko pair list|approve|revoke`.
 */
import type { Admission } from "../pipeline/admission.js";
import type { Owner } from "../plugins/registry.js";
import type { HttpRoutes } from "./routes.js";

const CodeParams = {
  type: "object",
  required: ["code"],
  properties: { code: { type: "string", pattern: "^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$" } },
};
const RevokeBody = {
  type: "object",
  additionalProperties: false,
  required: ["sender"],
  properties: { sender: { type: "string", minLength: 3, maxLength: 512 } },
};

export function registerPairingRoutes(http: HttpRoutes, owner: Owner, admission: Admission): void {
  http.register(
    {
      method: "GET",
      url: "/admin/pairings",
      auth: "operator",
      handler: (_request, reply) =>
        reply.send({
          pairings: admission.pending().map((pairing) => ({
            code: pairing.code,
            platform: pairing.platform,
            sender: pairing.sender,
            chat: pairing.chat,
            created_at: pairing.createdAt,
            expires_at: pairing.expiresAt,
          })),
        }),
    },
    owner,
  );
  http.register(
    {
      method: "POST",
      url: "/admin/pairings/:code/approve",
      auth: "operator",
      schema: { params: CodeParams },
      handler: (request, reply) => {
        const { code } = request.params as { code: string };
        // Codes are shown as XXXX-XXXX; accept them typed without the dash too.
        const normalised = code.includes("-") ? code : `${code.slice(0, 4)}-${code.slice(4)}`;
        const pairing = admission.approve(normalised);
        request.log.info({ sender: pairing.sender, code: pairing.code }, "sender approved over HTTP");
        return reply.send({ sender: pairing.sender, platform: pairing.platform, approved_at: pairing.approvedAt });
      },
    },
    owner,
  );
  http.register(
    {
      method: "POST",
      url: "/admin/approvals/revoke",
      auth: "operator",
      schema: { body: RevokeBody },
      handler: (request, reply) => {
        const { sender } = request.body as { sender: string };
        return reply.send({ sender, revoked: admission.revoke(sender) });
      },
    },
    owner,
  );
}
