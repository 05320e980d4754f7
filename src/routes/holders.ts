import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

export const holdersRoutes = new Hono<AppEnv>();
