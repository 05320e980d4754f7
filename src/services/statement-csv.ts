import { stringify } from 'csv-stringify/sync';
import { CURRENCY, formatMinor } from '../lib/money';
import type { AccountStatement, Statement } from './statements';

/**
 * A statement as CSV (RFC 4180: CRLF line ends, a header row, fields quoted when they hold a
 * comma, a quote or a line break). Each account contributes an opening_balance row, one row
 * per transaction, then total_credits, total_debits and closing_balance rows, so a spreadsheet
 * shows the same figures as the JSON statement.
 *
 * Descriptions are client text. A cell starting with = + - @ tab or CR would run as a formula
 * when the file is opened in a spreadsheet (OWASP "CSV Injection"), so such a cell gets a
 * leading single quote; csv-stringify's `escape_formulas` does exactly that.
 *
 * Only the `/sync` entry is imported: the main one pulls in node:stream. The sync entry still
 * reads the global `Buffer` when its module loads, which Workers provide under nodejs_compat
 * (on by default for compatibility dates from 2026-08-04; wrangler.toml has 2026-11-01). Should
 * the flag ever be turned off, the Worker fails at startup and every test fails with it.
 */

export const STATEMENT_CSV_COLUMNS = [
  'account_number',
  'record',
  'date',
  'transaction_id',
  'type',
  'direction',
  'status',
  'amount',
  'balance',
  'currency',
  'transfer_id',
  'peer_routing_number',
  'peer_account_number',
  'description',
] as const;

type CsvRecord = Partial<Record<(typeof STATEMENT_CSV_COLUMNS)[number], string>>;

function accountRecords(item: AccountStatement, statement: Statement): CsvRecord[] {
  const common = { account_number: item.account.accountNumber, currency: CURRENCY };
  const { startDate, endDate } = statement.period;
  return [
    {
      ...common,
      record: 'opening_balance',
      date: startDate,
      balance: formatMinor(item.openingBalanceMinor),
    },
    ...item.transactions.map((row): CsvRecord => ({
      ...common,
      record: 'transaction',
      date: row.createdAt,
      transaction_id: row.id,
      type: row.type,
      direction: row.direction,
      status: row.status,
      amount: formatMinor(row.amountMinor),
      balance: formatMinor(row.balanceAfterMinor),
      transfer_id: row.transferId ?? '',
      peer_routing_number: row.peerRoutingNumber ?? '',
      peer_account_number: row.peerAccountNumber ?? '',
      description: row.description ?? '',
    })),
    {
      ...common,
      record: 'total_credits',
      date: endDate,
      amount: formatMinor(item.totalCreditsMinor),
    },
    {
      ...common,
      record: 'total_debits',
      date: endDate,
      amount: formatMinor(item.totalDebitsMinor),
    },
    {
      ...common,
      record: 'closing_balance',
      date: endDate,
      balance: formatMinor(item.closingBalanceMinor),
    },
  ];
}

/** The statement's rows as CSV text, header first. */
export function toStatementCsv(statement: Statement): string {
  const records = statement.accounts.flatMap((item) => accountRecords(item, statement));
  return stringify(records, {
    columns: [...STATEMENT_CSV_COLUMNS],
    header: true,
    record_delimiter: 'windows',
    escape_formulas: true,
  });
}

/** The download name: statement-<from>-<to>.csv, from validated dates only. */
export function statementCsvFilename(statement: Statement): string {
  return `statement-${statement.period.startDate}-${statement.period.endDate}.csv`;
}
