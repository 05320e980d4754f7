import { and, eq, or } from 'drizzle-orm';
import { buildMovementBatch, firstLegRow, type Movement } from '../db/movements';
import { accounts } from '../db/schema';
import { sourceRefusal, type DebitRefusal, type DebitResult } from '../durable/account-ledger';
import { AppError, BusinessRuleError, NotFoundError, toProblem, UnavailableError } from '../errors';
import { assert } from '../lib/assert';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { recordAuditEvent } from './audit';
import type { ServiceDeps } from './deps';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
  requestFingerprint,
  type IdempotencyScope,
} from './idempotency';
import { getOwnedAccount } from './accounts';
import { ROUTING_NUMBER, toTransactionView, type TransactionView } from './views';

/**
 * Deposits, withdrawals and transfers. Debits go through the source account's AccountLedger
 * Durable Object; credits need no lock, since a credit can never make a guard fail.
 */

export interface MoneyResult {
  status: number;
  body: unknown;
  contentType: string;
  isReplay: boolean;
}

export interface MoneyRequest {
  holderId: string;
  sessionId: string;
  requestId: string;
  idempotencyKey: string | undefined;
}

type MovementRunner = (idempotency: IdempotencyScope | null) => Promise<TransactionView>;

/**
 * Records the outcome of a movement in the audit trail: its transaction, or the refusal. The
 * append runs after the answer (deps.defer): the chain has one writer for the whole bank, and
 * waiting for it would queue every transfer behind every other. The ledger rows themselves are
 * written in the movement's batch; the audit event is the second record of them.
 */
function audited(
  deps: ServiceDeps,
  request: MoneyRequest,
  type: 'deposit' | 'withdrawal' | 'transfer',
  run: MovementRunner,
): MovementRunner {
  const event = { type, holderId: request.holderId, sessionId: request.sessionId };
  return async (idempotency) => {
    try {
      const view = await run(idempotency);
      deps.defer(recordAuditEvent(deps, { ...event, outcome: 'success', subjectId: view.id }));
      return view;
    } catch (error) {
      if (error instanceof AppError && error.status < 500) {
        deps.defer(recordAuditEvent(deps, { ...event, outcome: 'failure' }));
      }
      throw error;
    }
  };
}

/** Runs a movement under its Idempotency-Key, if any, and stores the answer for replays. */
async function withIdempotency(
  deps: ServiceDeps,
  request: MoneyRequest,
  fingerprint: {
    operation: 'deposit' | 'withdrawal' | 'transfer';
    input: { description?: string | undefined };
  },
  runMovement: MovementRunner,
): Promise<MoneyResult> {
  const run = audited(deps, request, fingerprint.operation, runMovement);
  if (request.idempotencyKey === undefined) {
    return { status: 201, body: await run(null), contentType: 'application/json', isReplay: false };
  }
  const scope = { holderId: request.holderId, key: request.idempotencyKey };
  // An absent description and an explicit null are the same request.
  const hash = await requestFingerprint(fingerprint.operation, {
    ...fingerprint.input,
    description: fingerprint.input.description ?? null,
  });
  const claim = await claimIdempotencyKey(deps, scope, hash);
  if (claim.kind === 'replay') return { ...claim, isReplay: true };

  try {
    const view = await run(scope);
    await completeIdempotencyKey(deps, scope, { status: 201, body: view });
    return { status: 201, body: view, contentType: 'application/json', isReplay: false };
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      // A business refusal is an answer too: a retry with the same key gets the same one.
      await completeIdempotencyKey(deps, scope, {
        status: error.status,
        body: toProblem(error, request.requestId),
      });
    } else {
      await releaseIdempotencyKey(deps, scope);
    }
    throw error;
  }
}

function refusalError(code: DebitRefusal): AppError {
  switch (code) {
    case 'account_not_found':
      return new NotFoundError('No such account.');
    case 'account_closed':
      return new BusinessRuleError('account-closed', 'Account closed', 'The account is closed.');
    case 'account_frozen':
      return new BusinessRuleError(
        'account-frozen',
        'Account frozen',
        'The account is frozen and takes no debits.',
      );
    case 'insufficient_funds':
      return new BusinessRuleError(
        'insufficient-funds',
        'Insufficient funds',
        'The account balance does not cover this amount.',
      );
    case 'destination_unavailable':
      return new BusinessRuleError(
        'destination-unavailable',
        'Destination unavailable',
        'The destination account does not exist or is closed.',
      );
    case 'ledger_busy':
      return new UnavailableError('The account is busy; retry shortly.', { retryAfterSeconds: 1 });
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** Sends a debit movement to the source account's ledger object and maps its answer. */
async function debitThroughLedger(deps: ServiceDeps, movement: Movement): Promise<TransactionView> {
  const debitLeg = movement.legs[0];
  assert(debitLeg, 'a debit movement has a debit leg');
  const ledgerId = deps.env.ACCOUNT_LEDGER.idFromName(debitLeg.accountId);
  let result: DebitResult;
  try {
    result = await deps.env.ACCOUNT_LEDGER.get(ledgerId).debit(movement);
  } catch (error) {
    // The ids inside the movement make a retry safe: the ledger skips an applied movement.
    const isRetryable = (error as { retryable?: boolean }).retryable === true;
    const isOverloaded = (error as { overloaded?: boolean }).overloaded === true;
    if (!isRetryable || isOverloaded) throw error;
    result = await deps.env.ACCOUNT_LEDGER.get(ledgerId).debit(movement);
  }
  if (!result.ok) throw refusalError(result.code);
  log('info', 'money_debited', {
    requestId: deps.requestId,
    accountId: debitLeg.accountId,
    transactionId: result.transaction.id,
  });
  return toTransactionView(result.transaction);
}

export interface DepositInput {
  account_id: string;
  amount: number;
  description?: string | undefined;
}

export async function deposit(
  deps: ServiceDeps,
  request: MoneyRequest,
  input: DepositInput,
): Promise<MoneyResult> {
  return withIdempotency(deps, request, { operation: 'deposit', input }, async (idempotency) => {
    const movement: Movement = {
      movementId: newId(deps.nowMs),
      type: 'deposit',
      amountMinor: input.amount,
      description: input.description ?? null,
      nowMs: deps.nowMs,
      legs: [
        {
          transactionId: newId(deps.nowMs),
          accountId: input.account_id,
          holderId: request.holderId,
          direction: 'credit',
          status: 'posted',
          peerRoutingNumber: null,
          peerAccountNumber: null,
        },
      ],
      counterLedger: 'cash',
      idempotency,
    };
    let results: readonly unknown[];
    try {
      results = await deps.db.batch(buildMovementBatch(deps.db, movement));
    } catch (error) {
      // The credit's guard refused the batch: the account is not the caller's (404) or it
      // is closed. Nothing was written; read only now, to say which.
      const account = await getOwnedAccount(deps, request.holderId, input.account_id);
      if (account.status === 'closed') throw refusalError('account_closed');
      throw error;
    }
    log('info', 'money_credited', {
      requestId: deps.requestId,
      accountId: input.account_id,
      amountMinor: input.amount,
    });
    return toTransactionView(firstLegRow(movement, results));
  });
}

export type WithdrawInput = DepositInput;

export async function withdraw(
  deps: ServiceDeps,
  request: MoneyRequest,
  input: WithdrawInput,
): Promise<MoneyResult> {
  return withIdempotency(deps, request, { operation: 'withdrawal', input }, (idempotency) =>
    debitThroughLedger(deps, {
      movementId: newId(deps.nowMs),
      type: 'withdrawal',
      amountMinor: input.amount,
      description: input.description ?? null,
      nowMs: deps.nowMs,
      legs: [
        {
          transactionId: newId(deps.nowMs),
          accountId: input.account_id,
          holderId: request.holderId,
          direction: 'debit',
          status: 'posted',
          peerRoutingNumber: null,
          peerAccountNumber: null,
        },
      ],
      counterLedger: 'cash',
      idempotency,
    }),
  );
}

export interface TransferInput {
  from_account_id: string;
  to_routing_number: string;
  to_account_number: string;
  amount: number;
  description?: string | undefined;
}

/** ABA routing number check digit: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10). */
export function isValidRoutingNumber(routingNumber: string): boolean {
  if (!/^\d{9}$/.test(routingNumber)) return false;
  const digits = [...routingNumber].map(Number);
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const sum = digits.reduce((total, digit, index) => total + digit * (weights[index] ?? 0), 0);
  return sum % 10 === 0;
}

export async function transfer(
  deps: ServiceDeps,
  request: MoneyRequest,
  input: TransferInput,
): Promise<MoneyResult> {
  return withIdempotency(deps, request, { operation: 'transfer', input }, async (idempotency) => {
    const isInternal = input.to_routing_number === ROUTING_NUMBER;
    const movementId = newId(deps.nowMs);
    const debitLeg = {
      transactionId: newId(deps.nowMs),
      accountId: input.from_account_id,
      holderId: request.holderId,
      direction: 'debit' as const,
      status: isInternal ? ('posted' as const) : ('pending' as const),
      peerRoutingNumber: input.to_routing_number,
      peerAccountNumber: input.to_account_number,
    };
    const common = {
      movementId,
      type: 'transfer' as const,
      amountMinor: input.amount,
      description: input.description ?? null,
      nowMs: deps.nowMs,
      idempotency,
    };
    if (!isInternal) {
      if (!isValidRoutingNumber(input.to_routing_number)) {
        throw new BusinessRuleError(
          'invalid-routing-number',
          'Invalid routing number',
          'The routing number fails the ABA check digit.',
        );
      }
      return debitThroughLedger(deps, {
        ...common,
        legs: [debitLeg],
        counterLedger: 'outgoing_clearing',
      });
    }

    // One query finds both ends: the source's number is the credit leg's peer.
    const ends = await deps.db
      .select({
        id: accounts.id,
        holderId: accounts.holderId,
        accountNumber: accounts.accountNumber,
        status: accounts.status,
        balanceMinor: accounts.balanceMinor,
      })
      .from(accounts)
      .where(
        or(
          and(eq(accounts.id, input.from_account_id), eq(accounts.holderId, request.holderId)),
          eq(accounts.accountNumber, input.to_account_number),
        ),
      )
      .limit(2);
    // The number half of the query has no owner check: a row it found is never the source.
    const source = ends.find(
      (row) => row.id === input.from_account_id && row.holderId === request.holderId,
    );
    if (!source) throw new NotFoundError('No such account.');
    // A source that cannot pay is refused before the destination is looked at, the same way
    // and as fast whether the number is real or not, so neither the answer nor its timing
    // tells which. The balance is a snapshot: a refusal from it moves nothing, and a source it
    // lets through still meets the ledger's guards.
    const refusal = sourceRefusal(source, input.amount);
    if (refusal) throw refusalError(refusal);
    const destination = ends.find(
      (row) => row.accountNumber === input.to_account_number && row.status !== 'closed',
    );
    if (!destination) throw refusalError('destination_unavailable');
    if (destination.id === source.id) {
      throw new BusinessRuleError(
        'same-account',
        'Same account',
        'A transfer needs two different accounts.',
      );
    }
    const creditLeg = {
      transactionId: newId(deps.nowMs),
      accountId: destination.id,
      holderId: destination.holderId,
      direction: 'credit' as const,
      status: 'posted' as const,
      peerRoutingNumber: ROUTING_NUMBER,
      peerAccountNumber: source.accountNumber,
    };
    return debitThroughLedger(deps, {
      ...common,
      legs: [debitLeg, creditLeg],
      counterLedger: null,
    });
  });
}
