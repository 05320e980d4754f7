import { desc, eq } from 'drizzle-orm';
import { ConfigError } from '../config';
import { devOutbox } from '../db/schema';
import { assert } from '../lib/assert';
import { newId } from '../lib/ids';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';

/**
 * The one way the bank sends mail. Staging and production send through Cloudflare's
 * `send_email` binding; development and tests write to the `dev_outbox` table, which only a
 * development route can read. Message bodies may carry secrets (a reset token), so they are
 * never logged.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function isOutboxEnvironment(environment: string): boolean {
  return environment === 'development' || environment === 'test';
}

export function getMailer(deps: ServiceDeps): Mailer {
  if (isOutboxEnvironment(deps.config.environment)) return outboxMailer(deps);
  const binding = deps.env.MAILER;
  const from = deps.env.MAIL_FROM;
  if (!binding || !from) {
    throw new ConfigError(
      'MAILER (send_email binding) and MAIL_FROM are required outside development',
    );
  }
  return {
    send: async (message) => {
      await binding.send({ from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}

function outboxMailer(deps: ServiceDeps): Mailer {
  return {
    send: async (message) => {
      const now = toIso(deps.nowMs);
      await deps.db.insert(devOutbox).values({
        id: newId(deps.nowMs),
        recipient: message.to,
        subject: message.subject,
        body: message.text,
        createdAt: now,
        updatedAt: now,
      });
    },
  };
}

const OUTBOX_MESSAGES_MAX = 20;

/** The newest development mail to one recipient. Refuses outside development and tests. */
export async function readOutbox(
  deps: ServiceDeps,
  recipient: string,
): Promise<{ id: string; to: string; subject: string; body: string; created_at: string }[]> {
  assert(isOutboxEnvironment(deps.config.environment), 'the outbox exists only in development');
  const rows = await deps.db
    .select()
    .from(devOutbox)
    .where(eq(devOutbox.recipient, recipient))
    .orderBy(desc(devOutbox.createdAt), desc(devOutbox.id))
    .limit(OUTBOX_MESSAGES_MAX);
  return rows.map((row) => ({
    id: row.id,
    to: row.recipient,
    subject: row.subject,
    body: row.body,
    created_at: row.createdAt,
  }));
}
