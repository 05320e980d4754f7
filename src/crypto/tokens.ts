import { errors, jwtVerify, SignJWT, type JWSHeaderParameters } from 'jose';
import type { Config } from '../config';
import { getJwtSigningKey, getJwtVerificationKeys, type JwtVerificationKeys } from './signing-keys';

/**
 * JSON Web Tokens. Access and refresh tokens differ in their `typ` header and claim, and each
 * verifier accepts only its own kind, so neither can stand in for the other (RFC 8725 §3.11).
 * Tokens are signed EdDSA with JWT_SIGNING_KEY when it is set, else HS256 with JWT_SECRET. The
 * `kid` picks the key, and each key accepts only its own `alg`: `none` and any other algorithm
 * are refused.
 */
export type TokenKind = 'access' | 'refresh';

export { HMAC_KEY_ID } from '../config';

const TYPE_HEADER: Record<TokenKind, string> = { access: 'at+jwt', refresh: 'rt+jwt' };
const CLOCK_TOLERANCE_SECONDS = 30;
// The header parameters signToken writes. Anything else, such as a key reference (jku, jwk,
// x5u, x5c) that would let the token choose its own key, is refused (RFC 8725 §3.10).
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

/**
 * Signs a token with the current key, naming it in `kid`. `iat` is nowMs floored to seconds and
 * `exp` is ttlSeconds later. Throws ConfigError when the signing key is unusable.
 */
export async function signToken(config: Config, input: IssueTokenInput): Promise<string> {
  const signing = await getJwtSigningKey(config);
  const issuedAtSeconds = Math.floor(input.nowMs / 1000);
  return new SignJWT({ sid: input.sessionId, typ: input.kind })
    .setProtectedHeader({ alg: signing.algorithm, typ: TYPE_HEADER[input.kind], kid: signing.kid })
    .setIssuer(config.jwt.issuer)
    .setAudience(config.jwt.audience)
    .setSubject(input.holderId)
    .setJti(input.tokenId)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(issuedAtSeconds + input.ttlSeconds)
    .sign(signing.key);
}

export class TokenInvalidError extends Error {
  override name = 'TokenInvalidError';
}

/**
 * The key a token's header names, looked up in our own static map only: never fetched from a
 * URL or taken from the token (RFC 8725 §3.10). Throws TokenInvalidError.
 */
function selectVerificationKey(keys: JwtVerificationKeys, header: JWSHeaderParameters) {
  if (Object.keys(header).some((name) => !HEADER_PARAMETERS.has(name))) {
    throw new TokenInvalidError('unexpected header parameter');
  }
  const entry = typeof header.kid === 'string' ? keys.byKeyId.get(header.kid) : undefined;
  if (!entry) throw new TokenInvalidError('unknown key id');
  // Each kid has one algorithm. Otherwise an HS256 token naming an Ed25519 kid would be checked
  // with the published public key as its HMAC secret, which anyone can do (RFC 8725 §2.1).
  if (header.alg !== entry.algorithm) throw new TokenInvalidError('key algorithm mismatch');
  return entry.key;
}

/**
 * Verifies a token of the expected kind and returns its claims. Every failure is one
 * TokenInvalidError whose message is for logs: it never contains the token. An unusable
 * configured key is a ConfigError instead.
 */
export async function verifyToken(
  config: Config,
  kind: TokenKind,
  token: string,
  nowMs: number,
): Promise<TokenClaims> {
  // Outside the try: a broken key is our fault, not a refused token.
  const keys = await getJwtVerificationKeys(config);
  try {
    const { payload } = await jwtVerify(token, (header) => selectVerificationKey(keys, header), {
      algorithms: keys.algorithms,
      typ: TYPE_HEADER[kind],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      requiredClaims: ['sub', 'jti', 'iat', 'exp', 'sid', 'typ'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowMs),
    });
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
