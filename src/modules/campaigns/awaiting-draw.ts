import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database } from '../../db/types.js';

/**
 * "Drawable and not drawn": a launched campaign, not cancelled (scheduled, running or paused),
 * whose audience the worker has not frozen yet — no segment snapshot recorded (a segment's draw
 * records it) and no recipients (a list's draw, and the demo's past campaigns, leave only those).
 * The one statement of it: the draw job skips a campaign that fails it, and a segment such a
 * campaign still waits for cannot be deleted.
 */
export function awaitingDraw(eb: ExpressionBuilder<Database, 'campaigns'>): Expression<SqlBool> {
  return eb.and([
    eb('campaigns.status', 'in', ['scheduled', 'running', 'paused']),
    eb('campaigns.snapshot_id', 'is', null),
    eb.not(
      eb.exists(
        eb
          .selectFrom('campaign_recipients as r')
          .select('r.customer_id')
          .whereRef('r.workspace_id', '=', 'campaigns.workspace_id')
          .whereRef('r.campaign_id', '=', 'campaigns.id'),
      ),
    ),
  ]);
}
