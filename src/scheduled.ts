import { getConfig } from './config';
import { getDb } from './db/client';
import type { Env } from './env';
import { log } from './lib/log';
import { deleteExpiredRows } from './services/cleanup';
import { recordAuditEvent } from './services/audit';
import { runRewrapPass } from './services/key-rotation';
import { KEY_REWRAP_BATCH_SIZE_DEFAULT } from './lib/limits';
import type { ServiceDeps } from './services/deps';

/** The cron trigger's handler: housekeeping that needs no request. */
export async function runScheduled(
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const requestId = `cron-${controller.scheduledTime}`;
  const deps: ServiceDeps = {
    db: getDb(env.DB),
    env,
    config: getConfig(env),
    blocklist: env.REVOKED_TOKENS,
    nowMs: controller.scheduledTime,
    requestId,
    clientIp: null,
    defer: (work) => ctx.waitUntil(work),
  };
  const deleted = await deleteExpiredRows(deps);
  const total = Object.values(deleted).reduce((sum, count) => sum + count, 0);
  log('info', 'scheduled_cleanup_finished', { requestId, count: total });
  // One bounded pass of the rewrap job per run: with nothing on old keys it is a few empty
  // SELECTs; after a rotation it moves KEY_REWRAP_BATCH_SIZE_DEFAULT items of each kind.
  const pass = await runRewrapPass(deps, { batchSize: KEY_REWRAP_BATCH_SIZE_DEFAULT });
  // Only a pass that moved or failed to move something is audited: an idle cron would
  // otherwise add an event every run and bury the ones that matter.
  const moved =
    pass.data_keys_rewrapped + pass.legacy_values_resealed + pass.blind_indexes_recomputed;
  if (moved > 0 || pass.failed > 0) {
    await recordAuditEvent(deps, {
      type: 'key_rewrap_pass',
      outcome: pass.failed > 0 ? 'failure' : 'success',
    });
  }
}
