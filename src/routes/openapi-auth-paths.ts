import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  changePasswordBodySchema,
  forgotPasswordBodySchema,
  listSessionsQuerySchema,
  loginBodySchema,
  refreshBodySchema,
  resetPasswordBodySchema,
  signupBodySchema,
} from './auth';
import { auditEventsQuerySchema, eraseHolderBodySchema, updateHolderBodySchema } from './holders';
import { disableTotpBodySchema, enableTotpBodySchema, verifyMfaBodySchema } from './mfa';
import { emptyResponse, jsonResponse, operation } from './openapi-operation';
import * as responses from './responses';
import { idParamSchema } from './schemas';

/** The OpenAPI paths of the Auth and Account holders routes (see openapi-paths.ts). */

const idPath = { path: idParamSchema };
const tokens = jsonResponse('A new access and refresh token.', responses.tokenPairSchema);

/** The re-authentication limit shared by the routes that ask for the password again. */
const REAUTH_NOTE =
  'Five wrong answers to the password (or code) in a row, on any route that asks for it ' +
  'again, end the session: the fifth gets 401 with `error="invalid_token"`.';

/** Enrolment takes no password, so it needs a recent sign-in instead. */
const RECENT_SIGN_IN_NOTE =
  'Needs a session that signed in (login or signup) within the last 10 minutes; an older one, ' +
  'refreshed or not, gets 401 with `error="insufficient_user_authentication"` (RFC 9470) and ' +
  'must log in again.';

export const authPaths: ZodOpenApiPathsObject = {
  '/api/v1/auth/signup': {
    post: operation({
      tag: 'Auth',
      operationId: 'signup',
      summary: 'Sign up',
      description: 'The email and the SSN must not be registered yet (409).',
      isPublic: true,
      body: {
        schema: signupBodySchema,
        example: {
          name: 'Ada Lovelace',
          email: 'ada@example.com',
          password: 'correct-Horse-battery-9',
          ssn: '123-45-6789',
          date_of_birth: '1990-12-10',
          mailing_address: '12 St James Sq, London',
        },
      },
      success: { status: '201', response: tokens },
      problems: [409],
    }),
  },
  '/api/v1/auth/login': {
    post: operation({
      tag: 'Auth',
      operationId: 'login',
      summary: 'Log in',
      description:
        'Answers tokens, or an MFA challenge when the holder has MFA on. An unknown email and a ' +
        'wrong password get the same 401.',
      isPublic: true,
      body: {
        schema: loginBodySchema,
        example: { email: 'ada@example.com', password: 'correct-Horse-battery-9' },
      },
      success: {
        status: '200',
        response: jsonResponse(
          'Tokens, or an MFA challenge.',
          z.union([responses.tokenPairSchema, responses.mfaChallengeSchema]),
        ),
      },
      problems: [401],
    }),
  },
  '/api/v1/auth/mfa/verify': {
    post: operation({
      tag: 'Auth',
      operationId: 'verifyMfa',
      summary: 'Finish a login with a TOTP or recovery code',
      isPublic: true,
      body: { schema: verifyMfaBodySchema, example: { mfa_token: 'kq3…', code: '123456' } },
      success: { status: '200', response: tokens },
      problems: [401],
    }),
  },
  '/api/v1/auth/refresh': {
    post: operation({
      tag: 'Auth',
      operationId: 'refresh',
      summary: 'Swap a refresh token for a new pair',
      description: 'A refresh token works once; a spent one revokes its whole session.',
      isPublic: true,
      body: { schema: refreshBodySchema, example: { refresh_token: 'eyJ…' } },
      success: { status: '200', response: tokens },
      problems: [401],
    }),
  },
  '/api/v1/auth/logout': {
    post: operation({
      tag: 'Auth',
      operationId: 'logout',
      summary: 'Log out',
      description: 'Revokes this access token and its session.',
      success: { status: '204', response: emptyResponse('Logged out.') },
    }),
  },
  '/api/v1/auth/password/change': {
    post: operation({
      tag: 'Auth',
      operationId: 'changePassword',
      summary: 'Change the password',
      description: `Every other session is revoked. ${REAUTH_NOTE}`,
      body: {
        schema: changePasswordBodySchema,
        example: { current_password: 'correct-Horse-battery-9', new_password: 'Another-pass-42' },
      },
      success: { status: '204', response: emptyResponse('Changed.') },
    }),
  },
  '/api/v1/auth/password/forgot': {
    post: operation({
      tag: 'Auth',
      operationId: 'forgotPassword',
      summary: 'Ask for a password-reset mail',
      description: 'Answers 202 whether or not the email is registered.',
      isPublic: true,
      body: { schema: forgotPasswordBodySchema, example: { email: 'ada@example.com' } },
      success: { status: '202', response: emptyResponse('Accepted.') },
    }),
  },
  '/api/v1/auth/password/reset': {
    post: operation({
      tag: 'Auth',
      operationId: 'resetPassword',
      summary: 'Set a new password with a reset token',
      description: 'Every session is revoked.',
      isPublic: true,
      body: {
        schema: resetPasswordBodySchema,
        example: { token: 'Zm9v…', new_password: 'Another-pass-42' },
      },
      success: { status: '204', response: emptyResponse('Reset.') },
      problems: [401],
    }),
  },
  '/api/v1/auth/mfa/totp/setup': {
    post: operation({
      tag: 'Auth',
      operationId: 'setUpTotp',
      summary: 'Start TOTP enrolment',
      description: RECENT_SIGN_IN_NOTE,
      success: {
        status: '200',
        response: jsonResponse('A new TOTP secret.', responses.totpSetupSchema),
      },
      problems: [409],
    }),
  },
  '/api/v1/auth/mfa/totp/enable': {
    post: operation({
      tag: 'Auth',
      operationId: 'enableTotp',
      summary: 'Turn TOTP on with a first code',
      description: RECENT_SIGN_IN_NOTE,
      body: { schema: enableTotpBodySchema, example: { code: '123456' } },
      success: {
        status: '200',
        response: jsonResponse('MFA is on.', responses.recoveryCodesSchema),
      },
      problems: [409],
    }),
  },
  '/api/v1/auth/mfa/totp/disable': {
    post: operation({
      tag: 'Auth',
      operationId: 'disableTotp',
      summary: 'Turn TOTP off',
      description: REAUTH_NOTE,
      body: {
        schema: disableTotpBodySchema,
        example: { password: 'correct-Horse-battery-9', code: '123456' },
      },
      success: { status: '204', response: emptyResponse('MFA is off.') },
      problems: [409],
    }),
  },
  '/api/v1/auth/sessions': {
    get: operation({
      tag: 'Auth',
      operationId: 'listSessions',
      summary: "List the caller's live sessions",
      description:
        'Newest first, paged with `limit` and `cursor` like every list. A holder has at most ' +
        '100 live sessions, so `limit=100` shows them all; a login beyond that ends the oldest.',
      params: { query: listSessionsQuerySchema },
      success: {
        status: '200',
        response: jsonResponse('Live sessions, newest first.', responses.sessionPageSchema),
      },
    }),
  },
  '/api/v1/auth/sessions/{id}': {
    delete: operation({
      tag: 'Auth',
      operationId: 'endSession',
      summary: 'End one of the caller’s sessions',
      params: idPath,
      success: { status: '204', response: emptyResponse('Its tokens stop working.') },
    }),
  },
};

export const holderPaths: ZodOpenApiPathsObject = {
  '/api/v1/account-holders/me': {
    get: operation({
      tag: 'Account holders',
      operationId: 'getHolder',
      summary: "The caller's profile",
      success: { status: '200', response: jsonResponse('The holder.', responses.holderSchema) },
    }),
    patch: operation({
      tag: 'Account holders',
      operationId: 'updateHolder',
      summary: "Change the caller's profile",
      description:
        'Changing the email needs `current_password`; a registered email is 409. ' + REAUTH_NOTE,
      body: {
        schema: updateHolderBodySchema,
        example: { mailing_address: '1 Navy Way, Arlington' },
      },
      success: { status: '200', response: jsonResponse('The holder.', responses.holderSchema) },
      problems: [409],
    }),
    delete: operation({
      tag: 'Account holders',
      operationId: 'eraseHolder',
      summary: "Erase the caller's personal data",
      description:
        'Needs the password, and `code` (TOTP or recovery code) when MFA is on. Refused with 422 ' +
        '`balance-not-zero` while any account holds money. Closes the accounts, cancels the ' +
        'cards, ends every session and deletes the data key that sealed the SSN, card numbers ' +
        'and TOTP secret; name, email, address and date of birth are blanked. Ledger rows and ' +
        'audit events stay. The email and SSN can sign up again. ' +
        REAUTH_NOTE,
      body: {
        schema: eraseHolderBodySchema,
        example: { password: 'correct horse battery staple' },
      },
      success: { status: '204', response: emptyResponse('Erased; the token no longer works.') },
    }),
  },
  '/api/v1/account-holders/me/audit-events': {
    get: operation({
      tag: 'Account holders',
      operationId: 'listAuditEvents',
      summary: "The caller's security events",
      params: { query: auditEventsQuerySchema },
      success: {
        status: '200',
        response: jsonResponse('Events, newest first.', responses.auditEventPageSchema),
      },
    }),
  },
};
