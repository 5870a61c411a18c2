import type { Dialect } from '../connect.js';
import { derivedStatsWithoutCustomerFk } from './0071_derived_stats_without_customer_fk.js';

/**
 * Puts back on PostgreSQL the foreign keys of customer_stats and customer_order_facts to customers that 0071
 * dropped (deleting any row whose customer is gone first). Measured without them (README, Import: 100k rows,
 * three alternated pairs), the import's server time did not move: the stats' checks cost nothing measurable
 * (a new customer's row is already locked by its own INSERT in the batch, and an upsert that keeps the key
 * is not checked), the facts' 0.17 s of 15–19 s. Not worth losing what the key guarantees: a batch or
 * recompute racing a merge that deletes the customer cannot leave its stats behind.
 */
export function derivedStatsCustomerFkBack(dialect: Dialect) {
  const dropped = derivedStatsWithoutCustomerFk(dialect);
  return { up: dropped.down, down: dropped.up };
}
