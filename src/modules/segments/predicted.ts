import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Value } from '../../core/segments/rule.js';
import type { Database } from '../../db/types.js';

/**
 * Segment conditions on the predicted values (modules/predict): a correlated lookup on
 * customer_predictions' primary key, like the RFM fields, so other rules pay nothing for them.
 * A customer without a prediction (never bought, or before the first fit) has no value.
 */
const COLUMN = {
  p_alive: sql`p.p_alive * 100`,
  clv: sql`p.clv_fen`,
  expected_order_value: sql`p.expected_order_value_fen`,
  churn_band: sql`p.churn_band`,
} as const;

export const PREDICTED_FIELDS = new Set(Object.keys(COLUMN));

const CMP = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

type EB = ExpressionBuilder<Database & { c: Database['customers'] }, 'c'>;

export function predictedCondition<E extends EB>(eb: E, field: string, op: string, value: Value): Expression<SqlBool> {
  const e = eb as unknown as EB;
  const col = sql<number | string>`(SELECT ${COLUMN[field as keyof typeof COLUMN]} FROM customer_predictions p
    WHERE p.workspace_id = c.workspace_id AND p.customer_id = c.id)`;
  const list = value as readonly (number | string)[];
  switch (op) {
    case 'is_empty':
      return e(col, 'is', null);
    case 'is_not_empty':
      return e(col, 'is not', null);
    case 'between':
      return e.between(col, list[0]!, list[1]!);
    case 'in':
      return e(col, 'in', list);
    case 'not_in':
      return e.or([e(col, 'is', null), e(col, 'not in', list)]);
    case 'neq':
      return e.or([e(col, 'is', null), e(col, '<>', value as number | string)]);
    default: {
      const cmp = CMP[op as keyof typeof CMP];
      if (!cmp) throw new Error(`operator ${op} is not supported on ${field}`);
      return e(col, cmp, value as number | string);
    }
  }
}
