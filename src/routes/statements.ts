import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

export const statementsRoutes = new Hono<AppEnv>();
