import { JOB } from '../../jobs/kinds.js';
import { upsertSchedule } from '../../jobs/schedules.js';
import type { AppContext } from '../context.js';
import { listWorkspaces } from '../workspaces/service.js';
import { type BackupSettings, backupSettingsFromEnv, scheduledBackup } from './service.js';

export const BACKUP_SCHEDULE = 'nightly-backup';

/**
 * The nightly backup is one per installation: it hangs on the oldest workspace's schedules (read in
 * its time zone) while HUIKE_BACKUP_DIR is set, and is removed when it is not.
 */
export async function ensureBackupSchedule(
  ctx: AppContext,
  settings: BackupSettings | null = backupSettingsFromEnv(),
): Promise<void> {
  const [first, ...others] = await listWorkspaces(ctx);
  if (!first) return;
  for (const w of settings ? others : [first, ...others])
    await ctx.db.kysely
      .deleteFrom('schedules')
      .where('workspace_id', '=', w.id)
      .where('name', '=', BACKUP_SCHEDULE)
      .execute();
  if (settings)
    await upsertSchedule(ctx, first.id, {
      name: BACKUP_SCHEDULE,
      cron: settings.cron,
      timezone: first.timezone,
      jobKind: JOB.backup,
      payload: {},
    });
}

/** The job: a backup into HUIKE_BACKUP_DIR, then retention (nothing when the setting went away). */
export async function runScheduledBackup(ctx: AppContext) {
  const settings = backupSettingsFromEnv();
  if (!settings) return null;
  return scheduledBackup(ctx.db.url, ctx.db.dialect, settings, ctx.now());
}
