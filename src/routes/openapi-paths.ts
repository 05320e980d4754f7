import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  createAccountBodySchema,
  listAccountsQuerySchema,
  updateAccountBodySchema,
} from './accounts';
import { createCardBodySchema, listCardsQuerySchema, updateCardBodySchema } from './cards';
import { authPaths, holderPaths } from './openapi-auth-paths';
import { jsonResponse, operation } from './openapi-operation';
import { opsPaths } from './openapi-ops-paths';
import * as responses from './responses';
import { idParamSchema } from './schemas';
import { statementQuerySchema } from './statements';
import {
  depositBodySchema,
  listTransactionsQuerySchema,
  transferBodySchema,
  withdrawBodySchema,
} from './transactions';

/**
 * Every route of the API, keyed by its OpenAPI path. Each entry names the schemas that its route
 * validates with; the routes of Auth and Account holders are in openapi-auth-paths.ts.
 */

const ACCOUNT_ID = '01a23cf0-3235-7c3a-9e61-6a2f1b0c4d5e';
const idPath = { path: idParamSchema };
const locationHeader = z.object({
  Location: z.string().meta({ description: 'The path of the new resource.' }),
});
const replayedHeader = z.object({
  'Idempotent-Replayed': z
    .literal('true')
    .optional()
    .meta({ description: 'Present when this is the stored answer to an earlier request.' }),
});

const accountPaths: ZodOpenApiPathsObject = {
  '/api/v1/accounts': {
    post: operation({
      tag: 'Accounts',
      operationId: 'createAccount',
      summary: 'Open an account',
      body: {
        schema: createAccountBodySchema,
        example: { account_type: 'checking', nickname: 'Everyday' },
      },
      success: {
        status: '201',
        response: jsonResponse('Opened, at 0.00.', responses.accountSchema, locationHeader),
      },
    }),
    get: operation({
      tag: 'Accounts',
      operationId: 'listAccounts',
      summary: "List the caller's accounts",
      params: { query: listAccountsQuerySchema },
      success: {
        status: '200',
        response: jsonResponse('A page of accounts.', responses.accountPageSchema),
      },
    }),
  },
  '/api/v1/accounts/{id}': {
    get: operation({
      tag: 'Accounts',
      operationId: 'getAccount',
      summary: 'One account',
      params: idPath,
      success: { status: '200', response: jsonResponse('The account.', responses.accountSchema) },
    }),
    patch: operation({
      tag: 'Accounts',
      operationId: 'updateAccount',
      summary: 'Rename, retype, freeze or close an account',
      description: 'Closing needs a zero balance; a closed account is never reopened.',
      params: idPath,
      body: { schema: updateAccountBodySchema, example: { status: 'frozen' } },
      success: { status: '200', response: jsonResponse('The account.', responses.accountSchema) },
    }),
  },
};

const moneyResponse = jsonResponse(
  'The transaction; for a transfer, its debit leg.',
  responses.transactionSchema,
  replayedHeader,
);

const transactionPaths: ZodOpenApiPathsObject = {
  '/api/v1/transactions/deposit': {
    post: operation({
      tag: 'Transactions',
      operationId: 'deposit',
      summary: 'Deposit into an account',
      isIdempotent: true,
      body: {
        schema: depositBodySchema,
        example: { account_id: ACCOUNT_ID, amount: '100.00', description: 'Paycheck' },
      },
      success: { status: '201', response: moneyResponse },
      problems: [404],
    }),
  },
  '/api/v1/transactions/withdraw': {
    post: operation({
      tag: 'Transactions',
      operationId: 'withdraw',
      summary: 'Withdraw from an account',
      description: 'A withdrawal the balance does not cover is 422 and changes nothing.',
      isIdempotent: true,
      body: { schema: withdrawBodySchema, example: { account_id: ACCOUNT_ID, amount: '10.00' } },
      success: { status: '201', response: moneyResponse },
      problems: [404],
    }),
  },
  '/api/v1/transactions/transfer': {
    post: operation({
      tag: 'Transactions',
      operationId: 'transfer',
      summary: 'Transfer to an account here or at another bank',
      description:
        'Routing number 123456789 is this bank: both legs post at once. Any other routing ' +
        'number must pass the ABA check digit, and the debit leg stays pending.',
      isIdempotent: true,
      body: {
        schema: transferBodySchema,
        example: {
          from_account_id: ACCOUNT_ID,
          to_routing_number: '021000021',
          to_account_number: '12345678',
          amount: '5.00',
          description: 'Utility bill',
        },
      },
      success: { status: '201', response: moneyResponse },
      problems: [404],
    }),
  },
  '/api/v1/transactions': {
    get: operation({
      tag: 'Transactions',
      operationId: 'listTransactions',
      summary: 'Search transactions',
      description:
        '`from` and `to` are dates, both included; `q` matches words of descriptions. An ' +
        '`account_id` that is not the caller’s is 404.',
      params: { query: listTransactionsQuerySchema },
      success: {
        status: '200',
        response: jsonResponse('A page, newest first.', responses.transactionPageSchema),
      },
      problems: [404],
    }),
  },
  '/api/v1/transactions/{id}': {
    get: operation({
      tag: 'Transactions',
      operationId: 'getTransaction',
      summary: 'One transaction',
      params: idPath,
      success: {
        status: '200',
        response: jsonResponse('The transaction.', responses.transactionSchema),
      },
    }),
  },
};

const cardPaths: ZodOpenApiPathsObject = {
  '/api/v1/cards': {
    post: operation({
      tag: 'Cards',
      operationId: 'createCard',
      summary: 'Issue a card on an account',
      body: {
        schema: createCardBodySchema,
        example: { account_id: ACCOUNT_ID, card_type: 'debit' },
      },
      success: {
        status: '201',
        response: jsonResponse('The card.', responses.cardSchema, locationHeader),
      },
      problems: [404],
    }),
    get: operation({
      tag: 'Cards',
      operationId: 'listCards',
      summary: "List the caller's cards",
      description: 'An `account_id` that is not the caller’s is 404.',
      params: { query: listCardsQuerySchema },
      success: { status: '200', response: jsonResponse('A page.', responses.cardPageSchema) },
      problems: [404],
    }),
  },
  '/api/v1/cards/{id}': {
    get: operation({
      tag: 'Cards',
      operationId: 'getCard',
      summary: 'One card',
      params: idPath,
      success: { status: '200', response: jsonResponse('The card.', responses.cardSchema) },
    }),
    patch: operation({
      tag: 'Cards',
      operationId: 'updateCard',
      summary: 'Freeze, unfreeze or cancel a card',
      description: 'Cancelling is final.',
      params: idPath,
      body: { schema: updateCardBodySchema, example: { status: 'frozen' } },
      success: { status: '200', response: jsonResponse('The card.', responses.cardSchema) },
    }),
  },
};

const statementPaths: ZodOpenApiPathsObject = {
  '/api/v1/statements': {
    get: operation({
      tag: 'Statements',
      operationId: 'getStatement',
      summary: 'A statement of every account, or of one',
      description:
        'The period defaults to the 30 days ending today (UTC). `Accept: text/csv` answers the ' +
        'same rows as CSV.',
      params: { query: statementQuerySchema },
      success: {
        status: '200',
        response: {
          description: 'The statement.',
          content: {
            'application/json': { schema: responses.statementSchema },
            'text/csv': { schema: z.string() },
          },
        },
      },
      problems: [404],
    }),
  },
};

const operationsPaths: ZodOpenApiPathsObject = {
  '/health': {
    get: operation({
      tag: 'Operations',
      operationId: 'health',
      summary: 'Whether the process is up',
      isPublic: true,
      isUnlimited: true,
      success: { status: '200', response: jsonResponse('Up.', responses.healthSchema) },
    }),
  },
  '/health/ready': {
    get: operation({
      tag: 'Operations',
      operationId: 'readiness',
      summary: 'Whether D1 and KV answer',
      isPublic: true,
      success: { status: '200', response: jsonResponse('Ready.', responses.readinessSchema) },
      problems: [503],
    }),
  },
  '/.well-known/jwks.json': {
    get: operation({
      tag: 'Operations',
      operationId: 'jwks',
      summary: 'The public keys that verify access tokens',
      isPublic: true,
      success: { status: '200', response: jsonResponse('The key set.', responses.jwksSchema) },
    }),
  },
  '/openapi.json': {
    get: operation({
      tag: 'Operations',
      operationId: 'openApiDocument',
      summary: 'This document',
      description: 'Off in production.',
      isPublic: true,
      success: {
        status: '200',
        response: jsonResponse('An OpenAPI 3.1 document.', z.record(z.string(), z.unknown())),
      },
    }),
  },
  '/docs': {
    get: operation({
      tag: 'Operations',
      operationId: 'docs',
      summary: 'An interactive reference of this document',
      description: 'Off in production.',
      isPublic: true,
      success: {
        status: '200',
        response: {
          description: 'An HTML page.',
          content: { 'text/html': { schema: z.string() } },
        },
      },
    }),
  },
};

export const OPENAPI_PATHS: ZodOpenApiPathsObject = {
  ...authPaths,
  ...holderPaths,
  ...accountPaths,
  ...transactionPaths,
  ...cardPaths,
  ...statementPaths,
  ...operationsPaths,
  ...opsPaths,
};
