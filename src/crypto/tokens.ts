import { errors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config';

/**
 * JSON Web Tokens. Access and refresh tokens differ in their `typ` header and claim, and each
 * verifier accepts only its own kind, so neither can stand in for the other (RFC 8725 §3.11).
 * The algorithm is pinned: a token naming any other `alg`, `none` included, is refused.
 */
export type TokenKind = 'access' | 'refresh';

const TYPE_HEADER: Record<TokenKind, string> = { access: 'at+jwt', refresh: 'rt+jwt' };
const ALGORITHM = 'HS256';
export const HMAC_KEY_ID = 'hs1';
const CLOCK_TOLERANCE_SECONDS = 30;
// The header parameters signToken writes. Anything else, such as a key reference (jku, jwk,
// x5u, x5c) that a future key lookup might be tempted to follow, is refused (RFC 8725 §3.10).
const HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

export interface TokenClaims {
  /** The account holder. */
  sub: string;
  /** The session the token belongs to. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface IssueTokenInput {
  kind: TokenKind;
  holderId: string;
  sessionId: string;
  tokenId: string;
  nowMs: number;
  ttlSeconds: number;
}

export async function signToken(config: Config, input: IssueTokenInput): Promise<string> {
  const issuedAtSeconds = Math.floor(input.nowMs / 1000);
  return new SignJWT({ sid: input.sessionId, typ: input.kind })
    .setProtectedHeader({ alg: ALGORITHM, typ: TYPE_HEADER[input.kind], kid: HMAC_KEY_ID })
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setSubject(input.holderId)
    .setJti(input.tokenId)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(issuedAtSeconds + input.ttlSeconds)
    .sign(config.jwt.secret);
}

export class TokenInvalidError extends Error {
  override name = 'TokenInvalidError';
}

/**
 * Verifies a token of the expected kind and returns its claims. Every failure is one
 * TokenInvalidError whose message is for logs: it never contains the token.
 */
export async function verifyToken(
  config: Config,
  kind: TokenKind,
  token: string,
  nowMs: number,
): Promise<TokenClaims> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, config.jwt.secret, {
      algorithms: [ALGORITHM],
      typ: TYPE_HEADER[kind],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      requiredClaims: ['sub', 'jti', 'iat', 'exp', 'sid', 'typ'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowMs),
    });
    if (Object.keys(protectedHeader).some((name) => !HEADER_PARAMETERS.has(name))) {
      throw new TokenInvalidError('unexpected header parameter');
    }
    if (protectedHeader.kid !== HMAC_KEY_ID) throw new TokenInvalidError('unknown key id');
    if (payload.typ !== kind) throw new TokenInvalidError('token kind mismatch');
    const { sub, jti, iat, exp, sid } = payload;
    if (typeof sid !== 'string' || !sub || !jti || iat === undefined || exp === undefined) {
      throw new TokenInvalidError('missing claims');
    }
    return { sub, sid, jti, iat, exp };
  } catch (error) {
    if (error instanceof TokenInvalidError) throw error;
    const code = error instanceof errors.JOSEError ? error.code : 'ERR_UNKNOWN';
    throw new TokenInvalidError(`token rejected: ${code}`);
  }
}
