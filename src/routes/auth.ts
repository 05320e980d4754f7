import { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../errors';
import { requireAuth, requireLiveAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import {
  MAILING_ADDRESS_LENGTH_MAX,
  NAME_LENGTH_MAX,
  PAGE_SIZE_DEFAULT,
  TOKEN_LENGTH_MAX,
} from '../lib/limits';
import { login, signup } from '../services/auth';
import { blockToken } from '../services/revocation';
import { recordAuditEvent } from '../services/audit';
import { changePassword, requestPasswordReset, resetPassword } from '../services/credentials';
import { endSession, listLiveSessions, refreshSession } from '../services/sessions';
import {
  birthDateSchema,
  emailSchema,
  idParamSchema,
  pageQuerySchema,
  passwordAttemptSchema,
  passwordSchema,
  ssnSchema,
  text,
} from './schemas';

export const signupBodySchema = z.strictObject({
  name: text({ min: 1, max: NAME_LENGTH_MAX }),
  email: emailSchema,
  password: passwordSchema,
  ssn: ssnSchema,
  date_of_birth: birthDateSchema,
  mailing_address: text({ min: 1, max: MAILING_ADDRESS_LENGTH_MAX, multiline: true }),
});

export const loginBodySchema = z.strictObject({
  email: emailSchema,
  password: passwordAttemptSchema,
});

export const refreshBodySchema = z.strictObject({
  refresh_token: z.string().min(1).max(TOKEN_LENGTH_MAX),
});

export const authRoutes = new Hono<AppEnv>();

authRoutes.post('/signup', requireJsonBody, validate('json', signupBodySchema), async (c) => {
  const body = c.req.valid('json');
  const tokens = await signup(serviceDeps(c), { ...body, userAgent: c.req.header('User-Agent') });
  return c.json(tokens, 201);
});

authRoutes.post('/login', requireJsonBody, validate('json', loginBodySchema), async (c) => {
  const body = c.req.valid('json');
  // Tokens, or an MFA challenge when the holder has MFA on.
  const result = await login(serviceDeps(c), { ...body, userAgent: c.req.header('User-Agent') });
  return c.json(result, 200);
});

authRoutes.post('/refresh', requireJsonBody, validate('json', refreshBodySchema), async (c) => {
  const tokens = await refreshSession(serviceDeps(c), c.req.valid('json').refresh_token);
  return c.json(tokens, 200);
});

authRoutes.post('/logout', requireAuth, async (c) => {
  const deps = serviceDeps(c);
  const auth = c.get('auth');
  await Promise.all([
    blockToken(deps.blocklist, {
      tokenId: auth.tokenId,
      expiresAtSeconds: auth.expiresAtSeconds,
      nowMs: deps.nowMs,
    }),
    endSession(deps, { sessionId: auth.sessionId, holderId: auth.holderId, reason: 'logout' }),
  ]);
  await recordAuditEvent(deps, {
    type: 'logout',
    outcome: 'success',
    holderId: auth.holderId,
    sessionId: auth.sessionId,
  });
  return c.body(null, 204);
});

export const changePasswordBodySchema = z.strictObject({
  current_password: passwordAttemptSchema,
  new_password: passwordSchema,
});

export const forgotPasswordBodySchema = z.strictObject({ email: emailSchema });

export const resetPasswordBodySchema = z.strictObject({
  token: z.string().min(1).max(TOKEN_LENGTH_MAX),
  new_password: passwordSchema,
});

authRoutes.post(
  '/password/change',
  requireLiveAuth,
  requireJsonBody,
  validate('json', changePasswordBodySchema),
  async (c) => {
    const body = c.req.valid('json');
    const auth = c.get('auth');
    await changePassword(serviceDeps(c), {
      holderId: auth.holderId,
      sessionId: auth.sessionId,
      currentPassword: body.current_password,
      newPassword: body.new_password,
    });
    return c.body(null, 204);
  },
);

authRoutes.post(
  '/password/forgot',
  requireJsonBody,
  validate('json', forgotPasswordBodySchema),
  async (c) => {
    requestPasswordReset(serviceDeps(c), c.req.valid('json').email);
    return c.body(null, 202);
  },
);

authRoutes.post(
  '/password/reset',
  requireJsonBody,
  validate('json', resetPasswordBodySchema),
  async (c) => {
    const body = c.req.valid('json');
    await resetPassword(serviceDeps(c), { token: body.token, newPassword: body.new_password });
    return c.body(null, 204);
  },
);

export const listSessionsQuerySchema = z.strictObject(pageQuerySchema);

authRoutes.get('/sessions', requireAuth, validate('query', listSessionsQuerySchema), async (c) => {
  const auth = c.get('auth');
  const query = c.req.valid('query');
  const page = await listLiveSessions(
    serviceDeps(c),
    { holderId: auth.holderId, currentSessionId: auth.sessionId },
    { limit: query.limit ?? PAGE_SIZE_DEFAULT, cursor: query.cursor },
  );
  return c.json({ data: page.rows, next_cursor: page.nextCursor });
});

authRoutes.delete('/sessions/:id', requireAuth, validate('param', idParamSchema), async (c) => {
  const deps = serviceDeps(c);
  const auth = c.get('auth');
  const sessionId = c.req.valid('param').id;
  const ended = await endSession(deps, {
    sessionId,
    holderId: auth.holderId,
    reason: 'ended_by_holder',
  });
  if (!ended) throw new NotFoundError('No such session.');
  await recordAuditEvent(deps, {
    type: 'session_ended',
    outcome: 'success',
    holderId: auth.holderId,
    sessionId: auth.sessionId,
    subjectId: sessionId,
  });
  return c.body(null, 204);
});
