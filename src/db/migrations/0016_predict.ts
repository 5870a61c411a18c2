import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Predictive customer value: each workspace's fitted BG/NBD + Gamma-Gamma model (parameters, fit
 * time, holdout calibration) and every buyer's predicted values, refitted nightly.
 */
export function predict(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const float = pg ? 'double precision' : 'real';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('prediction_models')
        .addColumn('workspace_id', 'text', notNull)
        // fitted | insufficient_data | failed
        .addColumn('status', 'text', notNull)
        .addColumn('message', 'text')
        .addColumn('params', json)
        .addColumn('calibration', json)
        .addColumn('customers', 'integer', notNull)
        .addColumn('fit_ms', 'integer', notNull)
        .addColumn('fitted_at', ts, notNull)
        .addPrimaryKeyConstraint('prediction_models_pk', ['workspace_id'])
        .addForeignKeyConstraint('prediction_models_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('customer_predictions')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        // The summary the model saw, in days: repeat purchase days, last purchase day since the first, age.
        .addColumn('frequency', 'integer', notNull)
        .addColumn('recency_days', 'integer', notNull)
        .addColumn('age_days', 'integer', notNull)
        .addColumn('expected_orders_30d', float, notNull)
        .addColumn('expected_orders_90d', float, notNull)
        .addColumn('expected_orders_365d', float, notNull)
        .addColumn('p_alive', float, notNull)
        .addColumn('expected_order_value_fen', fen, notNull)
        .addColumn('clv_fen', fen, notNull)
        .addColumn('churn_band', 'text', notNull)
        // Local date (YYYY-MM-DD, workspace time zone) by which the next order is more likely than not.
        .addColumn('next_order_date', 'text')
        .addColumn('fitted_at', ts, notNull)
        .addPrimaryKeyConstraint('customer_predictions_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint(
          'customer_predictions_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      for (const col of ['p_alive', 'clv_fen', 'churn_band', 'fitted_at']) {
        await db.schema
          .createIndex(`customer_predictions_${col}_idx`)
          .on('customer_predictions')
          .columns(['workspace_id', col])
          .execute();
      }
    },
  };
}
