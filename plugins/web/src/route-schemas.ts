/**
 * The OpenAPI side of the web channel's routes: summaries, descriptions and response
 * schemas. The request schemas stay beside their routes, where fastify validates them.
 */
import { binaryResponse, ErrorBody, eventStreamResponse, htmlResponse, redirectResponse, SECURITY } from "@arizuko/sdk";
import { Type } from "typebox";

const error = (description: string) => ({ ...ErrorBody, description });

const CALLER =
  "Open mode: the browser's visitor cookie (arizuko_visitor, set by the chat page or the first call) is the caller. Users mode: a signed-in user, or a visitor who came through a share link; anyone else gets 401. A chat of someone else is 404, as for one that does not exist. Writes authenticated by a cookie need the Origin header of this host.";

const CHAT_ERRORS = {
  400: error("A parameter or the body is invalid (ARZ_ERR_INVALID_REQUEST and others naming the field)."),
  401: error("Users mode and no sign-in or share link (ARZ_ERR_UNAUTHORIZED)."),
  403: error("A cross-site write (ARZ_ERR_CSRF), or the share link was revoked (ARZ_ERR_SHARE_REVOKED)."),
  404: error("No such chat for this caller (ARZ_ERR_CHAT_NOT_FOUND)."),
  410: error("The chat's group was removed (ARZ_ERR_GROUP_GONE)."),
};

const Attachment = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  mime: Type.String(),
  size: Type.Union([Type.Integer(), Type.Null()]),
  kind: Type.String({ description: "image, voice, audio, video or file" }),
  url: Type.String({ description: "where the chat's owner downloads it" }),
});

export const WebMessage = Type.Object({
  id: Type.String({ description: "the client's id for its own messages; arizuko's id for agent messages (use it as reply_to)" }),
  seq: Type.Integer({ description: "position in the store; resume the event stream after it" }),
  chat: Type.String(),
  sender: Type.String({ description: "sender JID" }),
  sender_name: Type.Union([Type.String(), Type.Null()]),
  text: Type.String(),
  html: Type.String({ description: "text as Markdown rendered to safe HTML" }),
  from_agent: Type.Boolean(),
  kind: Type.String(),
  group: Type.Union([Type.String(), Type.Null()]),
  topic: Type.String(),
  reply_to: Type.Union([Type.String(), Type.Null()]),
  attachments: Type.Array(Attachment),
  ts: Type.Integer({ description: "milliseconds since the epoch" }),
});

const Chat = Type.Object({
  chat: Type.String(),
  group: Type.Union([Type.String(), Type.Null()], { description: "null in open mode, where the route table picks the group" }),
  group_name: Type.Union([Type.String(), Type.Null()]),
  shared: Type.Boolean({ description: "the chat came from a share link" }),
  created_at: Type.Integer({ description: "milliseconds since the epoch" }),
});

const Topic = Type.Object({ topic: Type.String({ description: "empty for the main thread" }), title: Type.String(), created_at: Type.Integer() });

const Share = Type.Object({
  id: Type.String(),
  group: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.Integer({ description: "milliseconds since the epoch" }),
  revoked_at: Type.Union([Type.Integer(), Type.Null()]),
});

export const DOCS = {
  page: { summary: "The chat page", security: SECURITY.none, response: { 200: htmlResponse("The web chat; in open mode it sets the visitor cookie.") } },
  script: { summary: "The chat page's script", security: SECURITY.none, response: { 200: { description: "JavaScript.", content: { "text/javascript": { schema: Type.String() } } } } },
  style: { summary: "The chat page's style sheet", security: SECURITY.none, response: { 200: { description: "CSS.", content: { "text/css": { schema: Type.String() } } } } },

  session: {
    summary: "Who the caller is",
    description: "Never 401: a caller without a sign-in is told so, and the page offers sign-in.",
    security: SECURITY.userOrVisitor,
    response: {
      200: Type.Object({
        access: Type.Union([Type.Literal("open"), Type.Literal("users")]),
        user: Type.Union([Type.Object({ id: Type.String(), username: Type.String(), role: Type.String() }), Type.Null()]),
        visitor: Type.Boolean({ description: "the caller is a visitor (open mode, or a share link)" }),
        groups: Type.Array(Type.Object({ folder: Type.String(), name: Type.String() }), { description: "groups a signed-in user may start chats with" }),
      }),
    },
  },
  chats: { summary: "List the caller's chats", description: CALLER, security: SECURITY.userOrVisitor, response: { 200: Type.Object({ chats: Type.Array(Chat) }), 401: CHAT_ERRORS[401] } },
  createChat: {
    summary: "Start a chat",
    description: `${CALLER} Open mode: leave out group (the route table picks it). Users mode: group is required and must be one the user may use; visitors get 403.`,
    security: SECURITY.userOrVisitor,
    response: {
      201: Chat,
      ...CHAT_ERRORS,
      403: error("A visitor in users mode, a group the user may not use (ARZ_ERR_FORBIDDEN), or a cross-site write (ARZ_ERR_CSRF)."),
      404: error("No such group (ARZ_ERR_GROUP_NOT_FOUND)."),
      409: error("The chat name is taken (ARZ_ERR_CHAT_TAKEN)."),
    },
  },
  topics: { summary: "List a chat's topics", description: `${CALLER} "General" (the main thread) comes first.`, security: SECURITY.userOrVisitor, response: { 200: Type.Object({ topics: Type.Array(Topic) }), ...CHAT_ERRORS } },
  createTopic: { summary: "Start a topic in a chat", description: CALLER, security: SECURITY.userOrVisitor, response: { 201: Topic, ...CHAT_ERRORS } },
  renameTopic: {
    summary: "Rename a topic",
    description: `${CALLER} The main thread is the topic \`main\`.`,
    security: SECURITY.userOrVisitor,
    response: { 200: Topic, ...CHAT_ERRORS, 404: error("No such chat (ARZ_ERR_CHAT_NOT_FOUND) or topic (ARZ_ERR_TOPIC_NOT_FOUND).") },
  },

  postMessage: {
    summary: "Post a message to a chat",
    description: `${CALLER} Responds once the message is committed. A repeated id for the same chat stores nothing new and returns the first seq.`,
    security: SECURITY.userOrVisitor,
    response: {
      202: Type.Object({ id: Type.String(), seq: Type.Integer(), duplicate: Type.Boolean({ description: "the id was posted before" }) }, { description: "Stored." }),
      ...CHAT_ERRORS,
      429: error("Too many posts from this address (ARZ_ERR_RATE_LIMITED); share-link visitors only."),
      503: error("The web channel is still starting (ARZ_ERR_NOT_READY); retry."),
    },
  },
  events: {
    summary: "Stream a chat's events",
    description: `${CALLER} Server-Sent Events: \`message\` (id: its seq, data: a message as GET …/messages returns it) for every stored message, user and agent alike; \`status\`, \`typing\`, \`delta\` (a run's partial text, when its harness streams) and \`reset\` carry no id. Resumes after Last-Event-ID or ?after= without repeats.`,
    security: SECURITY.userOrVisitor,
    headers: Type.Object({ "last-event-id": Type.Optional(Type.String({ description: "the seq of the last event seen" })) }),
    response: { 200: eventStreamResponse("The event stream; it stays open."), ...CHAT_ERRORS, 400: error("Last-Event-ID or after is not a seq (ARZ_ERR_INVALID_EVENT_ID, ARZ_ERR_INVALID_REQUEST).") },
  },
  history: {
    summary: "Read a chat's history",
    description: `${CALLER} Messages after the seq \`after\`, oldest first, at most \`limit\` (default 100, at most 1000).`,
    security: SECURITY.userOrVisitor,
    response: { 200: Type.Object({ messages: Type.Array(WebMessage) }, { description: "The messages." }), ...CHAT_ERRORS },
  },
  upload: {
    summary: "Upload a file to a chat",
    description: `${CALLER} Then post a message with its id in attachments.`,
    security: SECURITY.userOrVisitor,
    response: {
      201: Type.Object({ id: Type.String(), name: Type.String(), mime: Type.String(), size: Type.Integer(), kind: Type.String() }, { description: "Stored; post its id in a message's attachments." }),
      ...CHAT_ERRORS,
      413: error("The file is larger than the web config's maxUploadBytes (ARZ_ERR_FILE_TOO_LARGE)."),
    },
  },
  download: {
    summary: "Download a chat's file",
    description: CALLER,
    security: SECURITY.userOrVisitor,
    response: { 200: binaryResponse("The file's bytes with its media type; a sandbox CSP keeps it from running anything."), ...CHAT_ERRORS, 404: error("No such chat (ARZ_ERR_CHAT_NOT_FOUND) or file (ARZ_ERR_FILE_NOT_FOUND).") },
  },

  openShare: {
    summary: "Open a share link",
    description: "Gives the browser a visitor cookie and its own chat with the link's group, then redirects to the chat page.",
    security: SECURITY.none,
    response: {
      303: redirectResponse("To the chat page, on the visitor's chat."),
      404: error("The link does not exist or was revoked (ARZ_ERR_SHARE_NOT_FOUND)."),
      429: error("Too many link visits from this address (ARZ_ERR_RATE_LIMITED)."),
    },
  },
  shares: { summary: "List share links", response: { 200: Type.Object({ shares: Type.Array(Share) }) } },
  createShare: {
    summary: "Create a share link",
    description: "Only this response contains the link's path; it cannot be shown again.",
    response: { 201: Type.Object({ ...Share.properties, path: Type.String({ description: "/s/<token>; prefix it with this server's address" }) }), 404: error("No such group (ARZ_ERR_GROUP_NOT_FOUND).") },
  },
  revokeShare: {
    summary: "Revoke a share link",
    description: "Its visitors' chats close and their open streams end.",
    response: { 200: Type.Object({ id: Type.String(), revoked: Type.Boolean({ description: "false when it was revoked before" }) }), 404: error("No such share link (ARZ_ERR_SHARE_NOT_FOUND).") },
  },
};
