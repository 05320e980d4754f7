import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { MAILING_ADDRESS_LENGTH_MAX, NAME_LENGTH_MAX, TOKEN_LENGTH_MAX } from '../lib/limits';
import { login, signup } from '../services/auth';
import { blockToken } from '../services/revocation';
import { endSession, refreshSession } from '../services/sessions';
import {
  birthDateSchema,
  emailSchema,
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
  const tokens = await login(serviceDeps(c), { ...body, userAgent: c.req.header('User-Agent') });
  return c.json(tokens, 200);
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
  return c.body(null, 204);
});
