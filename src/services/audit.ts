import { and, desc, eq, lt } from 'drizzle-orm';
import { auditEvents, type AuditEventRow } from '../db/schema';
import { decodeCursor, pageOf } from '../lib/cursor';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import type { ServiceDeps } from './deps';

/**
 * The one way into the audit trail. Events carry ids, a type, an outcome, the client IP and
 * the time; never personal data or secrets.
 */
export type AuditEventType =
  | 'signup'
  | 'login_succeeded'
  | 'login_failed'
  | 'login_locked'
  | 'logout'
  | 'refresh_token_reused'
  | 'password_changed'
  | 'email_changed'
  | 'password_reset_requested'
  | 'password_reset'
  | 'mfa_setup_started'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'mfa_verified'
  | 'mfa_failed'
  | 'mfa_recovery_code_used'
  | 'session_ended'
  | 'reauth_attempts_spent'
  | 'deposit'
  | 'withdrawal'
  | 'transfer'
  | 'holder_erased'
  | 'data_key_replaced'
  | 'key_rewrap_pass';

export interface AuditEventInput {
  type: AuditEventType;
  outcome: 'success' | 'failure';
  holderId?: string | null | undefined;
  sessionId?: string | null | undefined;
  /** The resource the event is about: a transaction, a session. */
  subjectId?: string | null | undefined;
}

const AUDIT_CHAIN_NAME = 'chain';

/**
 * Appends an event to the chain. A failure to record is logged and swallowed.
 *
 * LIMITATION: the event is written after the action it records, not in the same D1 batch
 * (the chain needs one writer in order, which a batch cannot give). If the audit write fails,
 * the action stands and only the `audit_append_failed` log line tells of it; an operator
 * must alert on that event.
 */
export async function recordAuditEvent(deps: ServiceDeps, input: AuditEventInput): Promise<void> {
  try {
    const stub = deps.env.AUDIT_LOG.get(deps.env.AUDIT_LOG.idFromName(AUDIT_CHAIN_NAME));
    await stub.append({
      id: newId(deps.nowMs),
      type: input.type,
      outcome: input.outcome,
      holderId: input.holderId ?? null,
      sessionId: input.sessionId ?? null,
      subjectId: input.subjectId ?? null,
      ip: deps.clientIp,
      nowMs: deps.nowMs,
    });
  } catch (error) {
    log('error', 'audit_append_failed', {
      requestId: deps.requestId,
      holderId: input.holderId ?? undefined,
      reason: input.type,
      errorType: error instanceof Error ? error.name : 'unknown',
    });
  }
}

export interface AuditEventView {
  id: string;
  type: string;
  outcome: string;
  ip: string | null;
  created_at: string;
}

export function toAuditEventView(row: AuditEventRow): AuditEventView {
  return {
    id: row.id,
    type: row.type,
    outcome: row.outcome,
    ip: row.ip,
    created_at: row.createdAt,
  };
}

/** A page of a holder's own events, newest first, in chain order. */
export async function listAuditEvents(
  deps: ServiceDeps,
  holderId: string,
  page: { limit: number; cursor: string | undefined },
): Promise<{ rows: AuditEventRow[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor);
  const beforeSeq = after && /^\d{1,15}$/.test(after.id) ? Number(after.id) : null;
  if (after && beforeSeq === null) decodeCursor('not a cursor');
  const rows = await deps.db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.holderId, holderId),
        beforeSeq === null ? undefined : lt(auditEvents.seq, beforeSeq),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(page.limit + 1);
  // The cursor reuses the shared shape; its id carries the chain position.
  return pageOf(rows, page.limit, (row) => ({ createdAt: row.createdAt, id: String(row.seq) }));
}
