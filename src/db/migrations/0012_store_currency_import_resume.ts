import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * A store's currency (ISO 4217, CNY by default) so that amounts show with their own symbol and
 * totals are never added across currencies; and what an import run needs to be resumed after its
 * process was killed: orders rejected next to rows rejected, how many rows are committed (where
 * a resume starts), and which process owns the run with its last sign of life.
 */
export function storeCurrencyImportResume(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('stores')
        .addColumn('currency', 'text', (c) => c.notNull().defaultTo('CNY'))
        .execute();
      await db.schema
        .alterTable('import_runs')
        .addColumn('orders_rejected', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('import_runs')
        .addColumn('rows_committed', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('import_runs').addColumn('owner', 'text').execute();
      await db.schema.alterTable('import_runs').addColumn('heartbeat_at', ts).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const c of ['heartbeat_at', 'owner', 'rows_committed', 'orders_rejected'])
        await db.schema.alterTable('import_runs').dropColumn(c).execute();
      await db.schema.alterTable('stores').dropColumn('currency').execute();
    },
  };
}
