import { Hono } from 'hono';
import { z } from 'zod';
import { requireLiveAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { disableTotp, enableTotp, startTotpSetup } from '../services/mfa';
import { MFA_TOKEN_LENGTH_MAX, verifyMfaLogin } from '../services/mfa-login';
import { passwordAttemptSchema } from './schemas';

/** Mounted at /auth/mfa: TOTP enrolment (signed in) and the second step of a login. */

const totpCodeSchema = z.string().regex(/^\d{6}$/, 'Must be the 6-digit code from the app.');

// A 6-digit TOTP code or a recovery code (two groups of five; case, spaces, dash ignored).
export const secondFactorCodeSchema = z
  .string()
  .max(32, 'Must be at most 32 characters.')
  .regex(/^(\d{6}|[A-Za-z2-7 -]{10,})$/, 'Must be a 6-digit code or a recovery code.');

export const verifyMfaBodySchema = z.strictObject({
  mfa_token: z
    .string()
    .min(1, 'Must not be empty.')
    .max(MFA_TOKEN_LENGTH_MAX, `Must be at most ${MFA_TOKEN_LENGTH_MAX} characters.`),
  code: secondFactorCodeSchema,
});

export const enableTotpBodySchema = z.strictObject({ code: totpCodeSchema });

export const disableTotpBodySchema = z.strictObject({
  password: passwordAttemptSchema,
  code: secondFactorCodeSchema,
});

export const mfaRoutes = new Hono<AppEnv>();

mfaRoutes.post('/verify', requireJsonBody, validate('json', verifyMfaBodySchema), async (c) => {
  const body = c.req.valid('json');
  const tokens = await verifyMfaLogin(serviceDeps(c), {
    mfaToken: body.mfa_token,
    code: body.code,
    userAgent: c.req.header('User-Agent'),
  });
  return c.json(tokens, 200);
});

mfaRoutes.post('/totp/setup', requireLiveAuth, async (c) => {
  const auth = c.get('auth');
  const setup = await startTotpSetup(serviceDeps(c), {
    holderId: auth.holderId,
    sessionId: auth.sessionId,
  });
  return c.json(setup, 200);
});

mfaRoutes.post(
  '/totp/enable',
  requireLiveAuth,
  requireJsonBody,
  validate('json', enableTotpBodySchema),
  async (c) => {
    const auth = c.get('auth');
    const result = await enableTotp(serviceDeps(c), {
      holderId: auth.holderId,
      sessionId: auth.sessionId,
      code: c.req.valid('json').code,
    });
    return c.json(result, 200);
  },
);

mfaRoutes.post(
  '/totp/disable',
  requireLiveAuth,
  requireJsonBody,
  validate('json', disableTotpBodySchema),
  async (c) => {
    const auth = c.get('auth');
    const body = c.req.valid('json');
    await disableTotp(serviceDeps(c), {
      holderId: auth.holderId,
      sessionId: auth.sessionId,
      password: body.password,
      code: body.code,
    });
    return c.body(null, 204);
  },
);
