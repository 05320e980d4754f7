/**
 * The one error hierarchy. Each error carries the HTTP status, a stable problem type slug,
 * a title and a detail that is safe to send. Internal reasons go to `reason`, for logs only.
 */
export const PROBLEM_BASE_URL = 'https://invisible-bank.dev/problems/';

export interface FieldIssue {
  path: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  abstract readonly title: string;
  readonly detail: string;
  /** For logs only: why this happened, in words that never reach the client. */
  readonly reason: string | undefined;
  readonly headers: Record<string, string> = {};

  constructor(detail: string, options: { reason?: string; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.detail = detail;
    this.reason = options.reason;
  }
}

export class BadRequestError extends AppError {
  readonly status = 400;
  readonly type = 'bad-request';
  readonly title = 'Bad request';
}

export class ValidationError extends AppError {
  readonly status = 422;
  readonly type = 'validation-failed';
  readonly title = 'Validation failed';
  readonly errors: FieldIssue[];

  constructor(detail: string, errors: FieldIssue[]) {
    super(detail);
    this.errors = errors;
  }
}

export class AuthenticationError extends AppError {
  readonly status = 401;
  readonly type = 'unauthorized';
  readonly title = 'Unauthorized';
  override readonly headers: Record<string, string>;

  constructor(
    detail: string,
    options: { reason?: string; isTokenError?: boolean; signInMaxAgeSeconds?: number } = {},
  ) {
    super(detail, options);
    // A valid token from a sign-in too long ago: the step-up challenge of RFC 9470, which
    // tells the client to sign in again rather than to refresh.
    const challenge =
      options.signInMaxAgeSeconds !== undefined
        ? 'Bearer error="insufficient_user_authentication", ' +
          `max_age="${options.signInMaxAgeSeconds}"`
        : options.isTokenError
          ? 'Bearer error="invalid_token"'
          : 'Bearer';
    this.headers = { 'WWW-Authenticate': challenge };
  }
}

/** Understood and refused for a reason that authentication would not change. */
export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly type = 'forbidden';
  readonly title = 'Forbidden';
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly type = 'not-found';
  readonly title = 'Not found';
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly type = 'method-not-allowed';
  readonly title = 'Method not allowed';
  override readonly headers: Record<string, string>;

  constructor(allowedMethods: string[]) {
    super('This route does not support that method.');
    this.headers = { Allow: allowedMethods.join(', ') };
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly type: string;
  readonly title = 'Conflict';

  constructor(type: string, detail: string, options: { reason?: string } = {}) {
    super(detail, options);
    this.type = type;
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly type = 'payload-too-large';
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly type = 'unsupported-media-type';
  readonly title = 'Unsupported media type';
}

/** A business rule refused the request: 422 with a type named after the rule. */
export class BusinessRuleError extends AppError {
  readonly status = 422;
  readonly type: string;
  readonly title: string;

  constructor(type: string, title: string, detail: string, options: { reason?: string } = {}) {
    super(detail, options);
    this.type = type;
    this.title = title;
  }
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly type = 'too-many-requests';
  readonly title = 'Too many requests';
  override readonly headers: Record<string, string>;

  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/**
 * A rate limit refused the request (API.md "Limits"). Its own type, apart from the lockout's
 * too-many-requests, so a client can tell "slow down" from "this email is locked". The headers
 * carry Retry-After and the RateLimit fields, prepared by the middleware that refused.
 */
export class RateLimitedError extends AppError {
  readonly status = 429;
  readonly type = 'rate-limited';
  readonly title = 'Rate limited';
  override readonly headers: Record<string, string>;

  constructor(detail: string, options: { reason: string; headers: Record<string, string> }) {
    super(detail, { reason: options.reason });
    this.headers = options.headers;
  }
}

export class UnavailableError extends AppError {
  readonly status = 503;
  readonly type = 'service-unavailable';
  readonly title = 'Service unavailable';
  override readonly headers: Record<string, string>;

  constructor(detail: string, options: { reason?: string; retryAfterSeconds?: number } = {}) {
    super(detail, options);
    this.headers = { 'Retry-After': String(options.retryAfterSeconds ?? 1) };
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id: string;
  errors?: FieldIssue[];
}

/** Turns any error into an RFC 9457 problem. Unknown errors become a generic 500. */
export function toProblem(error: unknown, requestId: string): Problem {
  if (error instanceof AppError) {
    const problem: Problem = {
      type: PROBLEM_BASE_URL + error.type,
      title: error.title,
      status: error.status,
      detail: error.detail,
      request_id: requestId,
    };
    if (error instanceof ValidationError) problem.errors = error.errors;
    return problem;
  }
  return {
    type: PROBLEM_BASE_URL + 'internal-error',
    title: 'Internal server error',
    status: 500,
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    request_id: requestId,
  };
}
