import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

export const transactionsRoutes = new Hono<AppEnv>();
