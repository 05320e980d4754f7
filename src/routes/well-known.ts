import { Hono } from 'hono';
import { publicJwks } from '../config';
import type { AppEnv } from '../middleware/context';

/** Discovery documents at the origin's root, outside the /api/v1 base path (RFC 8615). */
export const wellKnownRoutes = new Hono<AppEnv>();

// The public keys that verify our tokens, for services that check them without a shared secret.
// Under HS256 alone there is nothing to publish, and the set is empty.
wellKnownRoutes.get('/.well-known/jwks.json', (c) => c.json({ keys: publicJwks(c.get('config')) }));
