/** OpenAPI schemas of the routes admin API (http.ts). The request parts are validated by fastify. */
import { ErrorBody } from "@arizuko/sdk";
import { Type } from "typebox";

const error = (description: string) => ({ ...ErrorBody, description });
const INVALID = error("Invalid body or id (ARZ_ERR_INVALID_REQUEST), target (ARZ_ERR_ROUTE_TARGET) or seq (ARZ_ERR_ROUTE_SEQ).");
const NOT_FOUND = error("No route with that id (ARZ_ERR_ROUTE_NOT_FOUND).");

const Id = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^[0-9]{1,12}$", description: "the row's id" } } };

const Row = Type.Object({
  id: Type.Integer(),
  seq: Type.Integer({ description: "rows are checked in ascending seq; the first match wins" }),
  match: Type.String({ description: "space-separated terms, all must hold, e.g. platform=telegram verb=mention" }),
  target: Type.String({ description: "group folder; may contain {sender}" }),
  mode: Type.Union([Type.Literal("run"), Type.Literal("observe")]),
});

export const LIST = {
  summary: "List the route rows",
  description: "In the order they are checked.",
  response: { 200: Type.Object({ routes: Type.Array(Row) }) },
};

export const ADD = {
  summary: "Add a route row",
  body: {
    type: "object",
    additionalProperties: false,
    required: ["match", "target"],
    properties: {
      match: { type: "string", maxLength: 2000 },
      target: { type: "string", minLength: 1, maxLength: 300 },
      seq: { type: "integer", description: "default: after the last row" },
      mode: { enum: ["run", "observe"], description: "run (default) starts runs; observe stores as context" },
    },
  },
  response: { 201: { ...Row, description: "The new row." }, 400: INVALID },
};

export const MOVE = {
  summary: "Move a route row",
  params: Id,
  body: { type: "object", additionalProperties: false, required: ["seq"], properties: { seq: { type: "integer" } } },
  response: { 200: { ...Row, description: "The moved row." }, 400: INVALID, 404: NOT_FOUND },
};

export const DELETE = {
  summary: "Delete a route row",
  params: Id,
  response: { 204: { description: "Deleted.", type: "null" }, 400: INVALID, 404: NOT_FOUND },
};

const Explanation = Type.Object(
  {
    role: Type.String({ description: "operator, member or guest" }),
    denial: Type.Union([Type.String(), Type.Null()], { description: "why admission would refuse the sender" }),
    control: Type.Union([Type.Object({ plugin: Type.String(), reason: Type.String(), reply: Type.Union([Type.String(), Type.Null()]) }), Type.Null()], {
      description: "the control handler (sticky, command) that would take the message",
    }),
    stages: Type.Array(
      Type.Object({
        plugin: Type.String(),
        stage: Type.Integer(),
        target: Type.Union([Type.String(), Type.Null()]),
        topic: Type.String(),
        layer: Type.Union([Type.String(), Type.Null()]),
        reason: Type.String(),
        mode: Type.Union([Type.Literal("run"), Type.Literal("observe")]),
      }),
      { description: "each resolution stage in order, with what it decided" },
    ),
    result: Type.Object({
      state: Type.String(),
      group: Type.Union([Type.String(), Type.Null()]),
      owner: Type.Union([Type.String(), Type.Null()]),
      topic: Type.String(),
      layer: Type.String(),
      reason: Type.String(),
      delegatedTo: Type.Union([Type.String(), Type.Null()]),
    }),
    sessionId: Type.Union([Type.String(), Type.Null()]),
  },
  { description: "What routing would do with the message; nothing is stored." },
);

export const EXPLAIN = {
  summary: "Explain how a message would be routed",
  body: {
    type: "object",
    additionalProperties: false,
    required: ["chat", "sender", "text"],
    properties: {
      chat: { type: "string", minLength: 1, maxLength: 512, description: "chat JID" },
      sender: { type: "string", minLength: 1, maxLength: 512, description: "sender JID" },
      text: { type: "string", maxLength: 100_000 },
      topic: { type: "string", maxLength: 256 },
      verb: { enum: ["message", "mention", "reply", "edit", "reaction", "join"] },
      reply_to: { type: "string", minLength: 1, maxLength: 512, description: "platform id of the message replied to" },
    },
  },
  response: { 200: Explanation, 400: INVALID },
};
