import type { AccountRow, CardRow, TransactionRow } from '../db/schema';
import { formatMinor } from '../lib/money';

/** Wire shapes of stored rows: snake_case, money as exact decimal strings. */

export const ROUTING_NUMBER = '123456789';

export interface AccountView {
  id: string;
  account_number: string;
  routing_number: string;
  account_type: AccountRow['accountType'];
  nickname: string | null;
  status: AccountRow['status'];
  balance: string;
  currency: string;
  created_at: string;
  updated_at: string;
}

export function toAccountView(row: AccountRow): AccountView {
  return {
    id: row.id,
    account_number: row.accountNumber,
    routing_number: ROUTING_NUMBER,
    account_type: row.accountType,
    nickname: row.nickname,
    status: row.status,
    balance: formatMinor(row.balanceMinor),
    currency: row.currency,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export interface TransactionView {
  id: string;
  account_id: string;
  type: TransactionRow['type'];
  direction: TransactionRow['direction'];
  amount: string;
  currency: string;
  balance_after: string;
  status: TransactionRow['status'];
  transfer_id: string | null;
  peer_routing_number: string | null;
  peer_account_number: string | null;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    account_id: row.accountId,
    type: row.type,
    direction: row.direction,
    amount: formatMinor(row.amountMinor),
    currency: row.currency,
    balance_after: formatMinor(row.balanceAfterMinor),
    status: row.status,
    transfer_id: row.transferId,
    peer_routing_number: row.peerRoutingNumber,
    peer_account_number: row.peerAccountNumber,
    description: row.description,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** A card as the holder sees it: the last four digits only, never the number or its ciphertext. */
export interface CardView {
  id: string;
  account_id: string;
  card_type: CardRow['cardType'];
  last4: string;
  expiry_month: number;
  expiry_year: number;
  status: CardRow['status'];
  created_at: string;
  updated_at: string;
}

export function toCardView(row: CardRow): CardView {
  return {
    id: row.id,
    account_id: row.accountId,
    card_type: row.cardType,
    last4: row.last4,
    expiry_month: row.expiryMonth,
    expiry_year: row.expiryYear,
    status: row.status,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
