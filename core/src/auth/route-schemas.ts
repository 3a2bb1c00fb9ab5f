/** OpenAPI schemas of the sign-in API (routes.ts) and of sign-in through providers (provider-routes.ts). */
import { ErrorBody, SECURITY, redirectResponse } from "@arizuko/sdk";
import { Type } from "typebox";

const error = (description: string) => ({ ...ErrorBody, description });

export const Credentials = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

const PublicUser = Type.Object({ id: Type.String(), username: Type.String(), role: Type.String({ description: "operator or member" }) });

const BrowserSession = Type.Object(
  {
    user: PublicUser,
    csrf_token: Type.String({ description: "send it as X-CSRF-Token with every cookie request that changes state" }),
    expires_in: Type.Integer({ description: "seconds until the access cookie expires" }),
  },
  { description: "Signed in: the access, refresh and CSRF cookies are set." },
);

const TokenPair = Type.Object(
  {
    user: PublicUser,
    access_token: Type.String({ description: "send as `Authorization: Bearer <token>`" }),
    token_type: Type.Literal("Bearer"),
    expires_in: Type.Integer({ description: "seconds until the access token expires" }),
    refresh_token: Type.String({ description: "trade it for a new pair at POST /auth/refresh; it is single-use" }),
  },
  { description: "A new token pair." },
);

const RefreshBody = Type.Object(
  { refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
  { description: "API clients send their refresh token; browsers send no body and the refresh cookie instead." },
);

const SIGN_IN_ERRORS = {
  401: error("Wrong username or password (ARZ_ERR_SIGN_IN_FAILED)."),
  429: error("Too many failed sign-ins from this address or for this account (ARZ_ERR_TOO_MANY_SIGN_INS); Retry-After says when to try again."),
};

export const LOGIN = {
  summary: "Sign a browser in",
  description: "Sets httpOnly cookies for the access and refresh tokens, and a CSRF cookie whose value the body returns too. A request whose Origin is another site is rejected.",
  security: SECURITY.none,
  body: Credentials,
  response: { 200: BrowserSession, ...SIGN_IN_ERRORS, 403: error("The request came from another site (ARZ_ERR_CSRF), or a sign-in hook denied the user (ARZ_ERR_SIGN_IN_FAILED).") },
};

export const TOKEN = {
  summary: "Get a token pair for an API client",
  security: SECURITY.none,
  body: Credentials,
  response: { 200: TokenPair, ...SIGN_IN_ERRORS, 403: error("A sign-in hook denied the user (ARZ_ERR_SIGN_IN_FAILED).") },
};

export const REFRESH = {
  summary: "Trade a refresh token for a new pair",
  description:
    "With `{ refresh_token }` in the body the answer is a new token pair. Without a body the refresh cookie is used (with the X-CSRF-Token check) and the cookies are renewed.",
  security: SECURITY.none,
  body: RefreshBody,
  bodyOptional: true,
  response: {
    200: Type.Union([TokenPair, BrowserSession], { description: "A token pair for a body token, the browser session for the cookie." }),
    400: error("The body is neither empty nor `{ refresh_token }` (ARZ_ERR_BAD_REQUEST)."),
    401: error("No refresh token, or one that is expired, used or revoked (ARZ_ERR_UNAUTHORIZED)."),
    403: error("The refresh cookie came without a matching X-CSRF-Token header (ARZ_ERR_CSRF)."),
  },
};

export const LOGOUT = {
  summary: "Sign out",
  description: "Revokes the refresh token of the body or of the cookie and clears the session cookies.",
  security: SECURITY.none,
  body: RefreshBody,
  bodyOptional: true,
  response: {
    204: { description: "Signed out.", type: "null" },
    400: error("The body is neither empty nor `{ refresh_token }` (ARZ_ERR_BAD_REQUEST)."),
    403: error("The refresh cookie came without a matching X-CSRF-Token header (ARZ_ERR_CSRF)."),
  },
};

const InvitationParams = Type.Object({ token: Type.String({ description: "the token of the invitation link" }) });

export const INVITATION = {
  summary: "Check an invitation",
  security: SECURITY.none,
  params: InvitationParams,
  response: {
    200: Type.Object({ role: Type.String({ description: "the role the new account gets" }), expires_at: Type.String({ format: "date-time" }) }),
    404: error("No such invitation (ARZ_ERR_INVITATION)."),
    410: error("The invitation was used or has expired (ARZ_ERR_INVITATION)."),
  },
};

export const ACCEPT_INVITATION = {
  summary: "Create the invited account",
  security: SECURITY.none,
  params: InvitationParams,
  body: Credentials,
  response: {
    201: Type.Object({ user: PublicUser, next: Type.String({ description: "how to sign in" }) }),
    400: error("Invalid username or too short a password (ARZ_ERR_BAD_REQUEST)."),
    404: error("No such invitation (ARZ_ERR_INVITATION)."),
    409: error("The username is taken (ARZ_ERR_INVITATION)."),
    410: error("The invitation was used or has expired (ARZ_ERR_INVITATION)."),
  },
};

export const ME = {
  summary: "Who the caller is",
  description: "A signed-in user gets `{ user }`; the admin token gets `{ user: null, role: \"operator\", via: \"admin token\" }`.",
  security: SECURITY.user,
  response: {
    200: Type.Object({
      user: Type.Union([PublicUser, Type.Null()]),
      role: Type.Optional(Type.Literal("operator")),
      via: Type.Optional(Type.String()),
    }),
    401: error("No valid credential (ARZ_ERR_UNAUTHORIZED)."),
    403: error("A cookie request without the X-CSRF-Token header where one is needed (ARZ_ERR_UNAUTHORIZED)."),
  },
};

const ProviderParams = Type.Object({ id: Type.String({ description: "the provider's id, from GET /auth/providers" }) });

export const PROVIDERS = {
  summary: "List the sign-in providers",
  security: SECURITY.none,
  response: {
    200: Type.Object({
      providers: Type.Array(
        Type.Object({
          id: Type.String(),
          title: Type.String(),
          start: Type.Union([Type.String(), Type.Null()], { description: "where a browser starts an OAuth sign-in; null for widget providers" }),
        }),
      ),
    }),
  },
};

export const PROVIDER_START = {
  summary: "Start a sign-in through a provider",
  description:
    "An OAuth provider: redirects the browser to the provider. A widget provider (Telegram): returns the callback URL for the widget. Either way a short-lived cookie binds the callback to this browser.",
  security: SECURITY.none,
  params: ProviderParams,
  querystring: Type.Object({ next: Type.Optional(Type.String({ description: "a path on this site to return to; anything else becomes /" })) }),
  response: {
    200: Type.Object({ callback: Type.String(), note: Type.String() }, { description: "A widget provider's callback URL." }),
    302: redirectResponse("To the OAuth provider."),
    404: error("No such provider (ARZ_ERR_PROVIDER_NOT_FOUND)."),
  },
};

export const PROVIDER_CALLBACK = {
  summary: "Finish a sign-in through a provider",
  description:
    "Where the provider sends the browser back. A browser already signed in links the provider's account to its user; otherwise the linked user is signed in. Then redirects to the `next` path of the start.",
  security: SECURITY.none,
  params: ProviderParams,
  querystring: Type.Object({ state: Type.Optional(Type.String()) }, { additionalProperties: true, description: "`state` and whatever the provider adds (`code`, or the widget's signed fields)" }),
  response: {
    303: redirectResponse("Signed in or linked; on to the `next` path."),
    400: error("The provider's answer was invalid, expired or not for this browser (ARZ_ERR_SIGN_IN_FAILED)."),
    403: error("No user is linked to this provider account (ARZ_ERR_IDENTITY_NOT_LINKED)."),
    404: error("No such provider (ARZ_ERR_PROVIDER_NOT_FOUND)."),
    409: error("The provider account is linked to another user (ARZ_ERR_IDENTITY_TAKEN)."),
  },
};
