import { and, asc, count, eq, gt, inArray, lt, ne, or, sql } from 'drizzle-orm';
import {
  blindIndexCandidates,
  currentBlindIndex,
  encryptField,
  type HolderDataKey,
} from '../crypto/fields';
import { constraintFailure } from '../db/client';
import { accounts, cards, type CardRow } from '../db/schema';
import { BusinessRuleError, NotFoundError, UnavailableError } from '../errors';
import { assert } from '../lib/assert';
import { decodeCursor, pageOf } from '../lib/cursor';
import { newId } from '../lib/ids';
import { CARDS_PER_ACCOUNT_MAX, NUMBER_DRAW_ATTEMPTS_MAX, PAGE_SIZE_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { isLuhnValid, luhnCheckDigit } from '../lib/luhn';
import { toIso } from '../lib/time';
import { getOwnedAccount } from './accounts';
import { ensureDataKey, isDataKeyCurrent, isDataKeyStillCurrent } from './data-keys';
import type { ServiceDeps } from './deps';

/**
 * Cards. The full number exists only in this module, on its way into an AES-GCM ciphertext;
 * the database keeps that ciphertext, a keyed blind index that makes numbers unique without
 * being readable, and the last four digits. No CVV is ever made or kept (PCI DSS 3.3.1).
 */

export type CardType = CardRow['cardType'];
export type CardStatus = CardRow['status'];

/**
 * The issuer identification number every card of this bank starts with. LIMITATION: it is a
 * placeholder in the Visa range, not a BIN assigned to this bank, so the numbers are only fit
 * for test environments (SECURITY.md G37); production needs the BIN the card network assigns.
 */
export const CARD_BIN = '400012';
export const CARD_NUMBER_LENGTH = 16;
export const CARD_VALIDITY_YEARS = 4;

const CARD_NUMBER_CONTEXT = { table: 'cards', column: 'number' } as const;
export const CARD_NUMBER_INDEX_PURPOSE = 'card_number';
const RANDOM_BYTES_PER_ROUND = 32;
const RANDOM_ROUNDS_MAX = 4;

/** `count` uniformly random decimal digits from the platform CSPRNG. */
function drawRandomDigits(count: number): string {
  let digits = '';
  for (let round = 0; round < RANDOM_ROUNDS_MAX && digits.length < count; round++) {
    for (const byte of crypto.getRandomValues(new Uint8Array(RANDOM_BYTES_PER_ROUND))) {
      // 250 is the largest multiple of 10 a byte can reach: bytes past it would favour 0-5.
      if (byte < 250 && digits.length < count) digits += String(byte % 10);
    }
  }
  assert(digits.length === count, 'the random digit draw filled its length');
  return digits;
}

/** A new card number: the BIN, random digits, then the Luhn check digit. */
export function drawCardNumber(): string {
  const payload = CARD_BIN + drawRandomDigits(CARD_NUMBER_LENGTH - CARD_BIN.length - 1);
  const number = payload + String(luhnCheckDigit(payload));
  assert(number.length === CARD_NUMBER_LENGTH, 'a card number has 16 digits');
  assert(isLuhnValid(number), 'a drawn card number passes the Luhn check');
  return number;
}

/** Cards expire at the end of the month CARD_VALIDITY_YEARS after issue (UTC). */
export function expiryOf(issuedAtMs: number): { expiryMonth: number; expiryYear: number } {
  const issuedAt = new Date(issuedAtMs);
  return {
    expiryMonth: issuedAt.getUTCMonth() + 1,
    expiryYear: issuedAt.getUTCFullYear() + CARD_VALIDITY_YEARS,
  };
}

function cardLimitReached(): BusinessRuleError {
  return new BusinessRuleError(
    'card-limit-reached',
    'Card limit reached',
    `An account may have at most ${CARDS_PER_ACCOUNT_MAX} cards that are not cancelled.`,
  );
}

function accountClosed(): BusinessRuleError {
  return new BusinessRuleError('account-closed', 'Account closed', 'The account is closed.');
}

interface DrawnCard {
  row: CardRow;
  /** The data key that sealed the number; the insert holds only while it is current. */
  dataKey: HolderDataKey;
  /** The number's index under every blind index key in the ring. */
  numberIndexes: string[];
}

/**
 * Inserts the card only while its account is the holder's, is not closed and has fewer than
 * CARDS_PER_ACCOUNT_MAX live cards, while the holder's data key is still the one that sealed the
 * number, and while no card has the number under any blind index key. The rules sit in the
 * INSERT ... SELECT itself, so two concurrent requests cannot both take the last place, and a
 * data-key replacement cannot strand the number under a retired key. Returns whether a row was
 * written.
 */
async function insertCardIfAllowed(deps: ServiceDeps, drawn: DrawnCard): Promise<boolean> {
  const { row } = drawn;
  const isAnyOf = inArray(cards.numberIndex, drawn.numberIndexes);
  const liveCards = deps.db
    .select({ total: count() })
    .from(cards)
    .where(and(eq(cards.accountId, row.accountId), ne(cards.status, 'cancelled')));
  // Keys and their order must be the table's: drizzle checks them for INSERT ... SELECT.
  const candidate = deps.db
    .select({
      id: sql<string>`${row.id}`.as('id'),
      accountId: accounts.id,
      holderId: accounts.holderId,
      cardType: sql<string>`${row.cardType}`.as('card_type'),
      numberCiphertext: sql<string>`${row.numberCiphertext}`.as('number_ciphertext'),
      numberIndex: sql<string>`${row.numberIndex}`.as('number_index'),
      last4: sql<string>`${row.last4}`.as('last4'),
      expiryMonth: sql<number>`${row.expiryMonth}`.as('expiry_month'),
      expiryYear: sql<number>`${row.expiryYear}`.as('expiry_year'),
      status: sql<string>`${row.status}`.as('status'),
      createdAt: sql<string>`${row.createdAt}`.as('created_at'),
      updatedAt: sql<string>`${row.updatedAt}`.as('updated_at'),
    })
    .from(accounts)
    .where(
      and(
        eq(accounts.id, row.accountId),
        eq(accounts.holderId, row.holderId),
        ne(accounts.status, 'closed'),
        lt(sql`(${liveCards})`, CARDS_PER_ACCOUNT_MAX),
        isDataKeyCurrent(drawn.dataKey),
        sql`NOT EXISTS (SELECT 1 FROM ${cards} WHERE ${isAnyOf})`,
      ),
    );
  const result = await deps.db.insert(cards).select(candidate).run();
  assert(result.meta.changes <= 1, 'a card insert writes at most one row');
  return result.meta.changes === 1;
}

/** Builds a card row with a freshly drawn number, encrypted and blind-indexed. */
async function newCardRow(
  deps: ServiceDeps,
  input: { cardId: string; accountId: string; holderId: string; cardType: CardType },
): Promise<DrawnCard> {
  const number = drawCardNumber();
  const dataKey = await ensureDataKey(deps, input.holderId);
  const ring = deps.config.blindIndex;
  const now = toIso(deps.nowMs);
  const row: CardRow = {
    id: input.cardId,
    accountId: input.accountId,
    holderId: input.holderId,
    cardType: input.cardType,
    numberCiphertext: await encryptField(
      dataKey,
      { ...CARD_NUMBER_CONTEXT, rowId: input.cardId },
      number,
    ),
    numberIndex: await currentBlindIndex(ring, CARD_NUMBER_INDEX_PURPOSE, number),
    last4: number.slice(-4),
    ...expiryOf(deps.nowMs),
    status: 'active',
    createdAt: now,
    updatedAt: now,
  };
  assert(!row.numberCiphertext.includes(number), 'the stored ciphertext does not hold the number');
  const numberIndexes = await blindIndexCandidates(ring, CARD_NUMBER_INDEX_PURPOSE, number);
  return { row, dataKey, numberIndexes };
}

async function isLiveCardLimitReached(deps: ServiceDeps, accountId: string): Promise<boolean> {
  const live = await deps.db
    .select({ total: count() })
    .from(cards)
    .where(and(eq(cards.accountId, accountId), ne(cards.status, 'cancelled')))
    .get();
  return (live?.total ?? 0) >= CARDS_PER_ACCOUNT_MAX;
}

/**
 * Issues a card on one of the holder's accounts. Throws NotFoundError when the account is not
 * theirs, BusinessRuleError when it is closed or already has CARDS_PER_ACCOUNT_MAX live cards,
 * and UnavailableError when NUMBER_DRAW_ATTEMPTS_MAX draws all hit numbers already issued.
 */
export async function createCard(
  deps: ServiceDeps,
  holderId: string,
  input: { account_id: string; card_type: CardType },
): Promise<CardRow> {
  const account = await getOwnedAccount(deps, holderId, input.account_id);
  if (account.status === 'closed') throw accountClosed();

  const cardId = newId(deps.nowMs);
  for (let attempt = 0; attempt < NUMBER_DRAW_ATTEMPTS_MAX; attempt++) {
    const drawn = await newCardRow(deps, {
      cardId,
      accountId: account.id,
      holderId,
      cardType: input.card_type,
    });
    let isInserted: boolean;
    try {
      isInserted = await insertCardIfAllowed(deps, drawn);
    } catch (error) {
      // The only UNIQUE column a new card can collide on is number_index: draw again.
      if (constraintFailure(error) !== 'unique') throw error;
      continue;
    }
    if (isInserted) {
      log('info', 'card_issued', { requestId: deps.requestId, holderId, accountId: account.id });
      return drawn.row;
    }
    // A guard refused: say which rule, as it stands now. A replaced data key or a number
    // already issued under an older blind index key is no fault of the request: draw again.
    const latest = await getOwnedAccount(deps, holderId, input.account_id);
    if (latest.status === 'closed') throw accountClosed();
    if (await isLiveCardLimitReached(deps, latest.id)) throw cardLimitReached();
    if (!(await isDataKeyStillCurrent(deps, drawn.dataKey))) {
      log('info', 'card_retried', { requestId: deps.requestId, reason: 'data_key_replaced' });
    }
  }
  throw new UnavailableError('Could not allocate a card number; try again.', {
    reason: 'card_number_draws_exhausted',
  });
}

/** One of the caller's cards, or NotFoundError whether it is missing or someone else's. */
export async function getOwnedCard(
  deps: ServiceDeps,
  holderId: string,
  cardId: string,
): Promise<CardRow> {
  const row = await deps.db
    .select()
    .from(cards)
    .where(and(eq(cards.id, cardId), eq(cards.holderId, holderId)))
    .get();
  if (!row) throw new NotFoundError('No such card.');
  return row;
}

/**
 * A page of the caller's cards, oldest first, optionally of one account (which must be the
 * caller's, else NotFoundError).
 */
export async function listCards(
  deps: ServiceDeps,
  holderId: string,
  filters: { accountId?: string | undefined },
  page: { limit: number; cursor?: string | undefined },
): Promise<{ rows: CardRow[]; nextCursor: string | null }> {
  assert(page.limit >= 1 && page.limit <= PAGE_SIZE_MAX, 'page limit is within bounds');
  const after = decodeCursor(page.cursor);
  if (filters.accountId !== undefined) await getOwnedAccount(deps, holderId, filters.accountId);

  const afterCursor = after
    ? or(
        gt(cards.createdAt, after.createdAt),
        and(eq(cards.createdAt, after.createdAt), gt(cards.id, after.id)),
      )
    : undefined;
  const rows = await deps.db
    .select()
    .from(cards)
    .where(
      and(
        eq(cards.holderId, holderId),
        filters.accountId === undefined ? undefined : eq(cards.accountId, filters.accountId),
        afterCursor,
      ),
    )
    .orderBy(asc(cards.createdAt), asc(cards.id))
    .limit(page.limit + 1);
  return pageOf(rows, page.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

function cardCancelled(): BusinessRuleError {
  return new BusinessRuleError(
    'card-cancelled',
    'Card cancelled',
    'A cancelled card cannot change.',
  );
}

/**
 * Freezes, unfreezes or cancels a card. Cancelling is final: the UPDATE only matches a card
 * that is not cancelled, so a concurrent cancel cannot be undone by a late unfreeze. A card of
 * a closed account can only be cancelled.
 */
export async function updateCardStatus(
  deps: ServiceDeps,
  holderId: string,
  cardId: string,
  status: CardStatus,
): Promise<CardRow> {
  const current = await getOwnedCard(deps, holderId, cardId);
  if (current.status === 'cancelled') throw cardCancelled();
  if (status !== 'cancelled') {
    const account = await getOwnedAccount(deps, holderId, current.accountId);
    if (account.status === 'closed') throw accountClosed();
  }

  const rows = await deps.db
    .update(cards)
    .set({ status, updatedAt: toIso(deps.nowMs) })
    .where(and(eq(cards.id, cardId), eq(cards.holderId, holderId), ne(cards.status, 'cancelled')))
    .returning();
  const updated = rows[0];
  if (updated) {
    log('info', 'card_status_changed', {
      requestId: deps.requestId,
      holderId,
      accountId: updated.accountId,
    });
    return updated;
  }
  // The card was cancelled between the read and the write.
  throw cardCancelled();
}
