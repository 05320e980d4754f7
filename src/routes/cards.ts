import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

export const cardsRoutes = new Hono<AppEnv>();
