import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

export const accountsRoutes = new Hono<AppEnv>();
