/**
 * Access tokens: short-lived JWTs signed with HS256 under the instance's signing key.
 * Verification pins the algorithm, the issuer and the audience, requires `exp`, `iat`
 * and `sub`, and allows 30 s of clock skew; anything else (`alg: none`, another
 * algorithm, a bad or empty signature, a token past `exp`) is rejected.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

export const ISSUER = "arizuko";
export const AUDIENCE = "arizuko";
const ALGORITHM = "HS256";
const CLOCK_SKEW_S = 30;

export type Role = "user" | "operator";

export interface AccessClaims {
  /** The user's id. */
  sub: string;
  username: string;
  role: Role;
}

export class AccessTokens {
  constructor(
    private readonly key: Uint8Array,
    private readonly ttlS: number,
  ) {}

  /** Signs a token for `claims`, valid for the configured lifetime from now. */
  issue(claims: AccessClaims): Promise<string> {
    return new SignJWT({ username: claims.username, role: claims.role })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlS}s`)
      .sign(this.key);
  }

  /** Returns the claims of a valid token, or null with the reason for any other string. */
  async verify(token: string): Promise<{ claims: AccessClaims } | { claims: null; reason: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ["exp", "iat", "sub"],
      });
      const role = payload.role;
      if (typeof payload.username !== "string" || (role !== "user" && role !== "operator")) return { claims: null, reason: "the token lacks its username or role" };
      return { claims: { sub: payload.sub!, username: payload.username, role } };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { claims: null, reason: "the token has expired; refresh it" };
      return { claims: null, reason: "the token is not a valid arizuko access token" };
    }
  }
}
