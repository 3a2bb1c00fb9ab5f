/**
 * Pairing over HTTP, for operators signed in on the web (or holding the admin token):
 *   GET  /admin/pairings                     codes sent and not yet approved or expired
 *   POST /admin/pairings/{code}/approve      admits the sender the code was sent to
 *   POST /admin/approvals/revoke { sender }  withdraws a sender's approval
 * The same actions as `arizuko pair list|approve|revoke`.
 */
import { ErrorBody } from "@arizuko/sdk";
import { Type } from "typebox";
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

const error = (description: string) => ({ ...ErrorBody, description });
const INVALID = error("The code or the body is malformed (ARZ_ERR_INVALID_REQUEST).");

const LIST_SCHEMA = {
  summary: "List open pairing codes",
  description: "Codes sent to senders and not yet approved or expired, as `arizuko pair list` shows them.",
  response: {
    200: Type.Object({
      pairings: Type.Array(
        Type.Object({
          code: Type.String({ description: "XXXX-XXXX" }),
          platform: Type.String(),
          sender: Type.String({ description: "the sender's JID" }),
          chat: Type.String({ description: "the chat JID the code was sent in" }),
          created_at: Type.Integer({ description: "milliseconds since the epoch" }),
          expires_at: Type.Integer({ description: "milliseconds since the epoch" }),
        }),
      ),
    }),
  },
};

const APPROVE_SCHEMA = {
  summary: "Approve a pairing code",
  description: "Admits the sender the code was sent to; the dash is optional.",
  params: CodeParams,
  response: {
    200: Type.Object({ sender: Type.String(), platform: Type.String(), approved_at: Type.Integer({ description: "milliseconds since the epoch" }) }),
    400: INVALID,
    404: error("No such code (ARZ_ERR_PAIRING_NOT_FOUND)."),
    410: error("The code has expired (ARZ_ERR_PAIRING_EXPIRED)."),
  },
};

const REVOKE_SCHEMA = {
  summary: "Revoke a sender's approval",
  body: RevokeBody,
  response: {
    200: Type.Object({ sender: Type.String(), revoked: Type.Boolean({ description: "false when the sender was not approved" }) }),
    400: INVALID,
  },
};

export function registerPairingRoutes(http: HttpRoutes, owner: Owner, admission: Admission): void {
  http.register(
    {
      method: "GET",
      url: "/admin/pairings",
      auth: "operator",
      schema: LIST_SCHEMA,
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
      schema: APPROVE_SCHEMA,
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
      schema: REVOKE_SCHEMA,
      handler: (request, reply) => {
        const { sender } = request.body as { sender: string };
        return reply.send({ sender, revoked: admission.revoke(sender) });
      },
    },
    owner,
  );
}
