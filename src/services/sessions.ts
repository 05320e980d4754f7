import { and, desc, eq, gt, inArray, isNull, lt, ne, or } from 'drizzle-orm';
import { signToken, verifyToken, TokenInvalidError } from '../crypto/tokens';
import { sessions } from '../db/schema';
import { AuthenticationError } from '../errors';
import { decodeCursor, pageOf } from '../lib/cursor';
import { newId } from '../lib/ids';
import { LIVE_SESSIONS_PER_HOLDER_MAX, USER_AGENT_LENGTH_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';
import { recordAuditEvent } from './audit';
import { blockSession } from './revocation';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

async function issueTokens(
  deps: ServiceDeps,
  input: {
    holderId: string;
    sessionId: string;
    refreshTokenId: string;
    sessionExpiresAtMs: number;
  },
): Promise<TokenPair> {
  const { accessTtlSeconds } = deps.config.jwt;
  // The refresh token never outlives the session's absolute end, however often it rotates.
  const refreshTtlSeconds = Math.floor((input.sessionExpiresAtMs - deps.nowMs) / 1000);
  const common = { holderId: input.holderId, sessionId: input.sessionId, nowMs: deps.nowMs };
  const [accessToken, refreshToken] = await Promise.all([
    signToken(deps.config, {
      ...common,
      kind: 'access',
      tokenId: crypto.randomUUID(),
      ttlSeconds: accessTtlSeconds,
    }),
    signToken(deps.config, {
      ...common,
      kind: 'refresh',
      tokenId: input.refreshTokenId,
      ttlSeconds: refreshTtlSeconds,
    }),
  ]);
  return {
    access_token: accessToken,
    refresh_token: refreshToken,
    token_type: 'bearer',
    expires_in: accessTtlSeconds,
  };
}

/** Opens a session for a holder who has just proven who they are, and issues its tokens. */
export async function startSession(
  deps: ServiceDeps,
  input: { holderId: string; userAgent: string | undefined },
): Promise<{ sessionId: string; pair: TokenPair }> {
  const sessionId = newId(deps.nowMs);
  const refreshTokenId = crypto.randomUUID();
  const now = toIso(deps.nowMs);
  const expiresAtMs = deps.nowMs + deps.config.jwt.refreshTtlSeconds * 1000;
  const [, ended] = await deps.db.batch([
    deps.db.insert(sessions).values({
      id: sessionId,
      holderId: input.holderId,
      refreshJti: refreshTokenId,
      userAgent: input.userAgent?.slice(0, USER_AGENT_LENGTH_MAX) ?? null,
      lastUsedAt: now,
      expiresAt: toIso(expiresAtMs),
      createdAt: now,
      updatedAt: now,
    }),
    endSessionsOverCap(deps, input.holderId),
  ]);
  if (ended.length > 0) {
    log('info', 'sessions_over_cap_ended', {
      requestId: deps.requestId,
      holderId: input.holderId,
      count: ended.length,
    });
    await announceEndedSessions(deps, { holderId: input.holderId, ended });
  }
  const pair = await issueTokens(deps, {
    holderId: input.holderId,
    sessionId,
    refreshTokenId,
    sessionExpiresAtMs: expiresAtMs,
  });
  return { sessionId, pair };
}

const REFRESH_REFUSED = 'The refresh token is invalid, expired or already used.';

/**
 * Spends a refresh token and issues the next pair. The swap is one conditional UPDATE, so of
 * two concurrent uses of one token exactly one wins. A token that was already spent means it
 * was copied: the whole session is revoked (RFC 9700 §4.14.2).
 */
export async function refreshSession(deps: ServiceDeps, refreshToken: string): Promise<TokenPair> {
  let claims;
  try {
    claims = await verifyToken(deps.config, 'refresh', refreshToken, deps.nowMs);
  } catch (error) {
    // Only a refused token is the client's fault; a key that fails to load is ours (500).
    if (!(error instanceof TokenInvalidError)) throw error;
    throw new AuthenticationError(REFRESH_REFUSED, { reason: error.message, isTokenError: true });
  }

  const now = toIso(deps.nowMs);
  const nextTokenId = crypto.randomUUID();
  const rotated = await deps.db
    .update(sessions)
    .set({ refreshJti: nextTokenId, lastUsedAt: now, updatedAt: now })
    .where(
      and(
        eq(sessions.id, claims.sid),
        eq(sessions.holderId, claims.sub),
        eq(sessions.refreshJti, claims.jti),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
      ),
    )
    .returning({ expiresAt: sessions.expiresAt });

  const session = rotated[0];
  if (!session) {
    await revokeOnReuse(deps, { sessionId: claims.sid, holderId: claims.sub, tokenId: claims.jti });
    throw new AuthenticationError(REFRESH_REFUSED, {
      reason: 'refresh_not_current',
      isTokenError: true,
    });
  }
  return issueTokens(deps, {
    holderId: claims.sub,
    sessionId: claims.sid,
    refreshTokenId: nextTokenId,
    sessionExpiresAtMs: Date.parse(session.expiresAt),
  });
}

/** A validly signed refresh token that is no longer current was replayed: end its session. */
async function revokeOnReuse(
  deps: ServiceDeps,
  input: { sessionId: string; holderId: string; tokenId: string },
): Promise<void> {
  const ended = await endSession(deps, {
    sessionId: input.sessionId,
    holderId: input.holderId,
    reason: 'refresh_reuse',
  });
  if (ended) {
    log('warn', 'refresh_token_reuse', {
      requestId: deps.requestId,
      sessionId: input.sessionId,
      holderId: input.holderId,
    });
    await recordAuditEvent(deps, {
      type: 'refresh_token_reused',
      outcome: 'failure',
      holderId: input.holderId,
      sessionId: input.sessionId,
    });
  }
}

/**
 * Ends a session: marks the row revoked (what money routes check) and blocks its access
 * tokens in KV (what every route checks). Returns false when it was not live.
 */
export async function endSession(
  deps: ServiceDeps,
  input: { sessionId: string; holderId: string; reason: string },
): Promise<boolean> {
  const now = toIso(deps.nowMs);
  const ended = await deps.db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: input.reason, updatedAt: now })
    .where(
      and(
        eq(sessions.id, input.sessionId),
        eq(sessions.holderId, input.holderId),
        isNull(sessions.revokedAt),
      ),
    )
    .returning({ id: sessions.id });
  // Only a session of this holder is blocked: an id guessed by someone else changes nothing.
  if (ended.length === 0) return false;
  await blockSession(deps.blocklist, {
    sessionId: input.sessionId,
    accessTtlSeconds: deps.config.jwt.accessTtlSeconds,
  });
  return true;
}

/** True while the session row is neither revoked nor past its absolute end. */
export async function isSessionLive(
  deps: ServiceDeps,
  input: { sessionId: string; holderId: string },
): Promise<boolean> {
  const row = await deps.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.id, input.sessionId),
        eq(sessions.holderId, input.holderId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, toIso(deps.nowMs)),
      ),
    )
    .get();
  return row !== undefined;
}

export interface SessionView {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  current: boolean;
}

/**
 * Ends the holder's live sessions beyond the newest LIVE_SESSIONS_PER_HOLDER_MAX, in the same
 * batch as the insert of a new one, so that concurrent logins cannot leave more alive.
 */
function endSessionsOverCap(deps: ServiceDeps, holderId: string) {
  const now = toIso(deps.nowMs);
  const overCap = deps.db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(eq(sessions.holderId, holderId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)),
    )
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    // Bounds the work of one login; sessions from before the cap go a thousand at a time.
    .limit(1000)
    .offset(LIVE_SESSIONS_PER_HOLDER_MAX);
  return deps.db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: 'session_cap', updatedAt: now })
    .where(inArray(sessions.id, overCap))
    .returning({ id: sessions.id, lastUsedAt: sessions.lastUsedAt });
}

/** The holder's live sessions, newest first, marking the one the caller is using. */
export async function listLiveSessions(
  deps: ServiceDeps,
  input: { holderId: string; currentSessionId: string },
  page: { limit: number; cursor: string | undefined },
): Promise<{ rows: SessionView[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor);
  // Newest first: the next page holds what was created before the cursor's session.
  const beforeCursor = after
    ? or(
        lt(sessions.createdAt, after.createdAt),
        and(eq(sessions.createdAt, after.createdAt), lt(sessions.id, after.id)),
      )
    : undefined;
  const rows = await deps.db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.holderId, input.holderId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, toIso(deps.nowMs)),
        beforeCursor,
      ),
    )
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(page.limit + 1);
  const paged = pageOf(rows, page.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
  return {
    rows: paged.rows.map((row) => ({
      id: row.id,
      created_at: row.createdAt,
      last_used_at: row.lastUsedAt,
      user_agent: row.userAgent,
      current: row.id === input.currentSessionId,
    })),
    nextCursor: paged.nextCursor,
  };
}

/**
 * Ends every live session of a holder, or every one but `exceptSessionId`. Only sessions that
 * issued a token within the access token lifetime can still hold a live access token, so only
 * those are written to the KV blocklist; all of them are refused by D1 at once.
 */
export async function endAllSessions(
  deps: ServiceDeps,
  input: { holderId: string; exceptSessionId: string | null; reason: string },
): Promise<number> {
  const now = toIso(deps.nowMs);
  const ended = await deps.db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: input.reason, updatedAt: now })
    .where(
      and(
        eq(sessions.holderId, input.holderId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        input.exceptSessionId === null ? undefined : ne(sessions.id, input.exceptSessionId),
      ),
    )
    .returning({ id: sessions.id, lastUsedAt: sessions.lastUsedAt });
  await announceEndedSessions(deps, { holderId: input.holderId, ended });
  return ended.length;
}

/**
 * After sessions were ended in D1: blocks in KV those that may still hold an unexpired access
 * token (used within the access-token lifetime), and records one audit event per session.
 */
export async function announceEndedSessions(
  deps: ServiceDeps,
  input: { holderId: string; ended: { id: string; lastUsedAt: string }[] },
): Promise<void> {
  const activeSinceIso = toIso(deps.nowMs - deps.config.jwt.accessTtlSeconds * 1000);
  const recentlyActive = input.ended.filter((session) => session.lastUsedAt >= activeSinceIso);
  await Promise.all(
    recentlyActive.map((session) =>
      blockSession(deps.blocklist, {
        sessionId: session.id,
        accessTtlSeconds: deps.config.jwt.accessTtlSeconds,
      }),
    ),
  );
  for (const session of input.ended) {
    await recordAuditEvent(deps, {
      type: 'session_ended',
      outcome: 'success',
      holderId: input.holderId,
      sessionId: session.id,
      subjectId: session.id,
    });
  }
}
