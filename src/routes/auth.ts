import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

export const authRoutes = new Hono<AppEnv>();
