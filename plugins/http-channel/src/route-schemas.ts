/**
 * OpenAPI schemas of the adapter API. The bodies only document: `wire.ts` checks them
 * and responds `{ ok: false, error }` naming the bad field, the shape the arizuko Go
 * adapters expect. The other direction, the host's calls to the adapter's `/send`,
 * `/send-file`, `/like`, `/edit`, `/delete` and `/health`, is in docs/channel-plugins.md.
 */
import { SECURITY } from "@arizuko/sdk";
import { Type } from "typebox";

const Failure = (description: string) => ({ ...Type.Object({ ok: Type.Literal(false), error: Type.String({ description: "what was wrong" }) }), description });

const RegisterBody = Type.Object({
  name: Type.String({ pattern: "^[a-z][a-z0-9-]{0,63}$", description: "the adapter's name; registering again under it replaces the registration" }),
  url: Type.String({ format: "uri", description: "http(s) base URL where the adapter serves /send, /send-file, /health and the rest" }),
  jid_prefixes: Type.Array(Type.String({ pattern: "^[a-z][a-z0-9-]{0,31}:$" }), { minItems: 1, description: 'platform prefixes the adapter owns, e.g. "telegram:"' }),
  capabilities: Type.Optional(Type.Record(Type.String(), Type.Boolean(), { description: "e.g. { send_file: true, like: true, edit: true, delete: true, typing: true }" })),
  account: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9._-]{1,64}$", description: "the account part of arizuko's chat JIDs; default: the name" })),
});

const AttachmentBody = Type.Object({
  mime: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String()),
  size: Type.Optional(Type.Number({ description: "bytes" })),
  url: Type.Optional(Type.String({ description: "where the host can fetch the file; give url or data" })),
  data: Type.Optional(Type.String({ format: "byte", description: "the file's bytes, base64" })),
});

const InboundBody = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 512, description: "the platform's message id; a repeated id is stored once" }),
  chat_jid: Type.String({ description: "the chat in the adapter's form, e.g. telegram:group/100123 (no account)" }),
  sender: Type.String({ description: "the sender, e.g. telegram:user/555" }),
  content: Type.String({ maxLength: 100_000, description: "the text; for a reaction, the emoji unless `reaction` is set" }),
  timestamp: Type.Optional(Type.Number({ minimum: 0, description: "Unix seconds" })),
  sender_name: Type.Optional(Type.String()),
  chat_name: Type.Optional(Type.String()),
  topic: Type.Optional(Type.String({ description: "the platform thread" })),
  reply_to: Type.Optional(Type.String({ description: "id of the message replied to; required for like, dislike and edit" })),
  verb: Type.Optional(Type.String({ description: "message (default), mention, join, reply, edit, like or dislike" })),
  reaction: Type.Optional(Type.String({ description: "the emoji of a like or dislike" })),
  is_group: Type.Optional(Type.Boolean({ description: "false or absent: a direct chat" })),
  attachments: Type.Optional(Type.Array(AttachmentBody)),
  attachment: Type.Optional(Type.String({ format: "byte", description: "one file inline, base64 (the WhatsApp adapter's form)" })),
  attachment_mime: Type.Optional(Type.String()),
  attachment_name: Type.Optional(Type.String()),
});

export const REGISTER = {
  summary: "Register an adapter",
  description: "`Authorization: Bearer <secret>` with the plugin's configured `secret`. Returns the session token the adapter presents from then on; the host sends replies to the adapter's `url`.",
  security: SECURITY.bearer,
  body: RegisterBody,
  response: {
    200: Type.Object({ ok: Type.Literal(true), token: Type.String({ description: "the adapter's session token, valid across host restarts" }) }, { description: "Registered." }),
    400: Failure("The body names a bad field."),
    401: Failure("Wrong secret."),
    409: Failure("Another channel owns the name or a prefix."),
  },
};

export const INBOUND = {
  summary: "Deliver an inbound message",
  description: "`Authorization: Bearer <token>` from registration. Responds once the message is stored; acknowledge the platform only then.",
  security: SECURITY.bearer,
  body: InboundBody,
  response: {
    200: Type.Object({ ok: Type.Literal(true), id: Type.String({ description: "arizuko's id of the stored message" }) }, { description: "Stored; a repeated id is stored once." }),
    400: Failure("The body names a bad field, or a JID outside the adapter's prefixes."),
    401: Failure("Unknown token; register again."),
    503: Failure("The channel is not started yet (the host is starting or stopping); retry."),
  },
};

export const DEREGISTER = {
  summary: "Deregister an adapter",
  description: "`Authorization: Bearer <token>` from registration. Removes the channel and forgets the token. Send no body, or `null`.",
  security: SECURITY.bearer,
  response: {
    200: Type.Object({ ok: Type.Literal(true) }, { description: "Deregistered." }),
    401: Failure("Unknown token."),
  },
};
