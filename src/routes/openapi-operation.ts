import { z } from 'zod';
import type {
  ZodOpenApiOperationObject,
  ZodOpenApiParameters,
  ZodOpenApiResponseObject,
  ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { BODY_BYTES_MAX } from '../lib/limits';
import { problemSchema } from './responses';
import { idempotencyKeySchema } from './schemas';

/**
 * Builds the OpenAPI operation of one route from a short description of it: the problems that
 * every route of a kind can give (401 behind a token, 400/413/415/422 for a JSON body, 429 and
 * 503 wherever the rate limiter runs) are added here, so the document cannot forget them.
 */

export const TAGS = [
  { name: 'Auth', description: 'Sign-up, login, tokens, passwords, MFA and sessions.' },
  { name: 'Account holders', description: "The caller's own profile and security events." },
  { name: 'Accounts', description: 'Checking and savings accounts.' },
  { name: 'Transactions', description: 'Deposits, withdrawals, transfers and their history.' },
  { name: 'Cards', description: 'Debit and credit cards on an account.' },
  { name: 'Statements', description: 'Balances and transactions over a period.' },
  { name: 'Operations', description: 'Health, key discovery and this documentation.' },
  {
    name: 'Key management',
    description:
      'Operator routes for key rotation (docs/key-management.md), behind OPS_API_TOKEN; without ' +
      'that secret they answer 404.',
  },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

export const BEARER_SCHEME = 'bearerAuth';
/** The operator secret of the /ops routes, never a holder's token. */
export const OPS_SCHEME = 'opsToken';

export type ProblemStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

const PROBLEM_DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'Malformed JSON, a repeated member name, or a bad header.',
  401: 'The access token is missing, invalid, expired or revoked, or the credentials are wrong.',
  404: 'No such resource, or one that belongs to someone else.',
  409: 'A conflict with the current state, or the same Idempotency-Key is still in flight.',
  413: `The request body is larger than ${BODY_BYTES_MAX} bytes.`,
  415: 'The request body is not application/json.',
  422: 'A field fails validation, or a business rule refuses the request.',
  429: 'Too many requests: rate limited, or locked out after failed logins.',
  503: 'A dependency is not answering: the rate limiter, D1, or a key the data needs.',
};

const retryAfterHeader = z.string().regex(/^\d+$/).meta({ description: 'Seconds to wait.' });

const PROBLEM_HEADERS: Partial<Record<ProblemStatus, ZodOpenApiResponseObject['headers']>> = {
  401: z.object({
    'WWW-Authenticate': z.string().meta({ example: 'Bearer error="invalid_token"' }),
  }),
  429: z.object({
    'Retry-After': retryAfterHeader,
    'RateLimit-Policy': z.string().optional().meta({ description: 'The quota and its window.' }),
    RateLimit: z.string().optional().meta({ description: 'What is left, and when it resets.' }),
  }),
  503: z.object({ 'Retry-After': retryAfterHeader }),
};

// One registered response per status, so that the document refers to it instead of repeating it.
const PROBLEM_RESPONSES = Object.fromEntries(
  (Object.keys(PROBLEM_DESCRIPTIONS) as `${ProblemStatus}`[]).map((status) => {
    const response: ZodOpenApiResponseObject = {
      id: `Problem${status}`,
      description: PROBLEM_DESCRIPTIONS[Number(status) as ProblemStatus],
      headers: PROBLEM_HEADERS[Number(status) as ProblemStatus],
      content: { 'application/problem+json': { schema: problemSchema } },
    };
    return [status, response];
  }),
) as Record<`${ProblemStatus}`, ZodOpenApiResponseObject>;

const idempotencyHeaders = z.object({
  'Idempotency-Key': idempotencyKeySchema.optional().meta({
    param: { id: 'IdempotencyKey' },
    description:
      'Makes a retry safe: the same key and body return the first answer and move no money ' +
      'again; the same key with another body is 422; while the first is running, 409.',
    example: 'paycheck-2026-12',
  }),
});

export interface OperationSpec {
  tag: Tag;
  operationId: string;
  summary: string;
  description?: string;
  isPublic?: boolean;
  /** Behind OPS_API_TOKEN rather than a holder's access token. */
  isOperator?: boolean;
  /** Outside the rate limits (the liveness probe): no 429, and no 503 from the limiter. */
  isUnlimited?: boolean;
  /** A money-moving POST that accepts an Idempotency-Key. */
  isIdempotent?: boolean;
  body?: { schema: z.ZodType; example: unknown };
  params?: Pick<ZodOpenApiParameters, 'path' | 'query'>;
  success: { status: `${2}${string}`; response: ZodOpenApiResponseObject };
  /** Problems particular to this route; the ones common to its kind are added. */
  problems?: ProblemStatus[];
}

export function operation(spec: OperationSpec): ZodOpenApiOperationObject {
  const problems = new Set<ProblemStatus>(spec.problems);
  if (!spec.isPublic) problems.add(401);
  if (spec.body) [400, 413, 415, 422].forEach((status) => problems.add(status as ProblemStatus));
  if (spec.params?.path) problems.add(404);
  if (spec.params?.query) problems.add(422);
  if (spec.isIdempotent) [400, 409].forEach((status) => problems.add(status as ProblemStatus));
  // Every limited route can be refused by its quota, or answer 503 when the limiter fails.
  if (!spec.isUnlimited) [429, 503].forEach((status) => problems.add(status as ProblemStatus));

  const responses: ZodOpenApiResponsesObject = { [spec.success.status]: spec.success.response };
  for (const status of [...problems].sort()) responses[`${status}`] = PROBLEM_RESPONSES[status];

  return {
    tags: [spec.tag],
    operationId: spec.operationId,
    summary: spec.summary,
    description: spec.description,
    security: spec.isPublic ? [] : [{ [spec.isOperator ? OPS_SCHEME : BEARER_SCHEME]: [] }],
    requestParams: {
      ...spec.params,
      ...(spec.isIdempotent ? { header: idempotencyHeaders } : {}),
    },
    requestBody: spec.body && {
      required: true,
      content: { 'application/json': { schema: spec.body.schema, example: spec.body.example } },
    },
    responses,
  };
}

/** A JSON success response. */
export function jsonResponse(
  description: string,
  schema: z.ZodType,
  headers?: ZodOpenApiResponseObject['headers'],
): ZodOpenApiResponseObject {
  return { description, headers, content: { 'application/json': { schema } } };
}

export function emptyResponse(description: string): ZodOpenApiResponseObject {
  return { description };
}
