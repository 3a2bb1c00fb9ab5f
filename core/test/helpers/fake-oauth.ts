/**
 * A fake OAuth 2 provider on 127.0.0.1 in the shape of GitHub's: `/authorize` approves
 * at once as the account the test chose, `/token` trades a code for an access token
 * only with the right client secret, redirect URI and PKCE verifier (S256), and `/user`
 * says whose token it is.
 */
import { createHash, randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: string;
  account: { id: number; login: string };
}

export class FakeOAuth {
  private server: FastifyInstance | null = null;
  private readonly grants = new Map<string, Grant>();
  private readonly tokens = new Map<string, { id: number; login: string }>();
  /** Every /authorize query and /token form, in order. */
  readonly authorizeRequests: Array<Record<string, string>> = [];
  readonly tokenRequests: Array<Record<string, string>> = [];
  /** The account the next approval signs in as. */
  account = { id: 4242, login: "ada-gh" };
  url = "";

  constructor(
    readonly clientId = "fake-client",
    readonly clientSecret = "fake-client-secret-0123456789",
  ) {}

  async start(): Promise<void> {
    const server = Fastify();
    server.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));

    server.get("/authorize", (request, reply) => {
      const query = request.query as Record<string, string>;
      this.authorizeRequests.push(query);
      const code = randomBytes(12).toString("hex");
      this.grants.set(code, { clientId: query.client_id!, redirectUri: query.redirect_uri!, challenge: query.code_challenge ?? "", method: query.code_challenge_method ?? "", account: { ...this.account } });
      const back = new URL(query.redirect_uri!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", query.state ?? "");
      return reply.redirect(back.href, 302);
    });

    server.post("/token", (request, reply) => {
      const form = request.body as Record<string, string>;
      this.tokenRequests.push(form);
      const grant = this.grants.get(form.code ?? "");
      this.grants.delete(form.code ?? "");
      const verifierHash = createHash("sha256").update(form.code_verifier ?? "").digest("base64url");
      const problem =
        !grant ? "unknown or used code"
        : form.client_id !== this.clientId || form.client_secret !== this.clientSecret ? "bad client credentials"
        : form.redirect_uri !== grant.redirectUri ? "redirect_uri differs from the authorization request"
        : grant.method !== "S256" || verifierHash !== grant.challenge ? "PKCE verification failed"
        : null;
      if (problem) return reply.code(400).send({ error: "invalid_grant", error_description: problem });
      const token = `gho_${randomBytes(16).toString("hex")}`;
      this.tokens.set(token, grant!.account);
      return { access_token: token, token_type: "bearer", scope: "read:user" };
    });

    server.get("/user", (request, reply) => {
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? "")?.[1];
      const account = token ? this.tokens.get(token) : undefined;
      if (!account) return reply.code(401).send({ message: "Bad credentials" });
      return account;
    });

    this.url = await server.listen({ host: "127.0.0.1", port: 0 });
    this.server = server;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  /** The settings of arizuko's `auth.providers.github` pointing at this fake. */
  get config() {
    return { clientId: this.clientId, clientSecret: this.clientSecret, authorizationUrl: `${this.url}/authorize`, tokenUrl: `${this.url}/token`, userUrl: `${this.url}/user` };
  }
}
