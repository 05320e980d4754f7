import { KV_TTL_SECONDS_MIN } from '../lib/limits';

/**
 * The KV blocklist of revoked access tokens. KV is eventually consistent (a write can take a
 * minute or more to reach other locations), so this is the fast check on every route, and
 * money-moving routes also read the session row in D1, which is strongly consistent.
 */

/** The subset of KVNamespace used here, so tests can inject a stale view. */
export interface BlocklistStore {
  get(keys: string[], type: 'text'): Promise<Map<string, string | null>>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
}

/** KV refuses an expirationTtl under 60 seconds or a fractional one. */
export function kvTtlSeconds(requestedSeconds: number): number {
  return Math.max(KV_TTL_SECONDS_MIN, Math.ceil(requestedSeconds));
}

function tokenKey(tokenId: string): string {
  return `revoked:jti:${tokenId}`;
}

function sessionKey(sessionId: string): string {
  return `revoked:sid:${sessionId}`;
}

/** Blocks one access token for the rest of its life. */
export async function blockToken(
  store: BlocklistStore,
  input: { tokenId: string; expiresAtSeconds: number; nowMs: number },
): Promise<void> {
  const remainingSeconds = input.expiresAtSeconds - input.nowMs / 1000;
  await store.put(tokenKey(input.tokenId), '1', { expirationTtl: kvTtlSeconds(remainingSeconds) });
}

/** Blocks every access token of a session; none can outlive the access token lifetime. */
export async function blockSession(
  store: BlocklistStore,
  input: { sessionId: string; accessTtlSeconds: number },
): Promise<void> {
  await store.put(sessionKey(input.sessionId), '1', {
    expirationTtl: kvTtlSeconds(input.accessTtlSeconds),
  });
}

export async function isBlocked(
  store: BlocklistStore,
  input: { tokenId: string; sessionId: string },
): Promise<boolean> {
  const values = await store.get([tokenKey(input.tokenId), sessionKey(input.sessionId)], 'text');
  for (const value of values.values()) if (value !== null) return true;
  return false;
}
