import { Hono } from 'hono';
import { accepts } from 'hono/accepts';
import { z } from 'zod';
import { requireAuth, serviceDeps } from '../middleware/auth';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { statementCsvFilename, toStatementCsv } from '../services/statement-csv';
import { buildStatement, toStatementView } from '../services/statements';
import { calendarDateSchema, uuidSchema } from './schemas';

export const statementQuerySchema = z.strictObject({
  from: calendarDateSchema.optional(),
  to: calendarDateSchema.optional(),
  account_id: uuidSchema.optional(),
});

const JSON_MEDIA_TYPE = 'application/json';
const CSV_MEDIA_TYPE = 'text/csv';

export const statementsRoutes = new Hono<AppEnv>();

statementsRoutes.use(requireAuth);

/**
 * GET /statements?from=YYYY-MM-DD&to=YYYY-MM-DD&account_id=…
 *
 * - `from`, `to`: UTC days, both included. `to` defaults to today (UTC); `from` defaults to
 *   29 days before `to`, so the default period is the 30 days ending today. `from` after `to`,
 *   or a period longer than STATEMENT_DAYS_MAX days, is 422.
 * - `account_id`: one of the caller's accounts (404 otherwise); without it, every account.
 * - 200 `application/json`: { period_start, period_end, currency, accounts: [{ account_id,
 *   account_number, account_type, opening_balance, closing_balance, total_credits,
 *   total_debits, transactions (oldest first) }], total_transactions }.
 * - 200 `text/csv; charset=utf-8` when `Accept` prefers text/csv: the same rows, downloaded as
 *   statement-<from>-<to>.csv (columns in services/statement-csv.ts).
 * - 422 statement-too-large when an account has more than STATEMENT_TRANSACTIONS_MAX
 *   transactions in the period.
 */
statementsRoutes.get('/', validate('query', statementQuerySchema), async (c) => {
  const query = c.req.valid('query');
  const statement = await buildStatement(serviceDeps(c), c.get('auth').holderId, {
    from: query.from,
    to: query.to,
    accountId: query.account_id,
  });

  const mediaType = accepts(c, {
    header: 'Accept',
    supports: [JSON_MEDIA_TYPE, CSV_MEDIA_TYPE],
    default: JSON_MEDIA_TYPE,
  });
  c.header('Vary', 'Accept');
  if (mediaType !== CSV_MEDIA_TYPE) return c.json(toStatementView(statement));
  return c.body(toStatementCsv(statement), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${statementCsvFilename(statement)}"`,
  });
});
