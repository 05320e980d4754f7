import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';
import { accountsRoutes } from './accounts';
import { authRoutes } from './auth';
import { cardsRoutes } from './cards';
import { holdersRoutes } from './holders';
import { mfaRoutes } from './mfa';
import { statementsRoutes } from './statements';
import { transactionsRoutes } from './transactions';

/** Everything under /api/v1. */
export const apiRoutes = new Hono<AppEnv>();

apiRoutes.route('/auth/mfa', mfaRoutes);
apiRoutes.route('/auth', authRoutes);
apiRoutes.route('/account-holders', holdersRoutes);
apiRoutes.route('/accounts', accountsRoutes);
apiRoutes.route('/transactions', transactionsRoutes);
apiRoutes.route('/cards', cardsRoutes);
apiRoutes.route('/statements', statementsRoutes);
