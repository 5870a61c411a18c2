import { reason } from '../core/reasons.js';
import type { FastifyInstance } from 'fastify';
import { Conflict, NotFound } from '../core/errors.js';
import type { AppContext } from './context.js';

/** Routes whose {id} names a record that other modules hang sub-routes off, and the table that holds it. */
const SCOPED = [
  { route: '/api/v1/customers/:id', table: 'customers', noun: 'customer' },
  { route: '/api/v1/orders/:id', table: 'orders', noun: 'order' },
] as const;

/**
 * Routes outside /customers/{id} that act on the one customer their body names (`customerId`): the same answers —
 * 404 for another shop's, 409 for an erased one (a coupon, a reward bought with her points, a task, a survey link).
 */
const NAMED_IN_BODY = new Set([
  'POST /api/v1/coupons/templates/:id/issue',
  'POST /api/v1/points/rewards/:id/redeem',
  'POST /api/v1/tasks',
  'POST /api/v1/surveys/:id/invitations',
]);

/** Whether the record is one of this workspace's. */
export async function recordExists(
  ctx: AppContext,
  table: (typeof SCOPED)[number]['table'],
  workspaceId: string,
  id: string,
): Promise<boolean> {
  const row = await ctx.db.kysely
    .selectFrom(table)
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

/** A customer of this workspace: missing, erased (PIPL) or live — one read for the scope check and the erasure's. */
async function customerState(ctx: AppContext, workspaceId: string, id: string): Promise<'missing' | 'erased' | 'live'> {
  const row = await ctx.db.kysely
    .selectFrom('customers')
    .select('erased_at')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return !row ? 'missing' : row.erased_at != null ? 'erased' : 'live';
}

/**
 * Every route under /customers/{id} or /orders/{id} (points, tags, notes, tier, coupons, reviews, tasks, events …
 * whichever module serves it) answers 404 for a record that is not the caller's — the same answer as
 * GET /customers/{id} — instead of an empty list. Checked once here, before the body is validated, so a new
 * sub-route cannot forget it.
 */
export function registerRecordScope(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preValidation', async (req) => {
    const url = req.routeOptions.url;
    if (!req.principal || !url) return;
    const named = NAMED_IN_BODY.has(`${req.method} ${url}`);
    const scope = named ? SCOPED[0] : SCOPED.find((s) => url === s.route || url.startsWith(`${s.route}/`));
    if (!scope) return;
    const id = named ? (req.body as { customerId?: unknown } | null)?.customerId : (req.params as { id?: unknown }).id;
    // A body without its customer (or with a number for it) is the schema's to refuse, with its own message.
    if (named && typeof id !== 'string') return;
    const ws = req.principal.workspaceId;
    const state =
      typeof id !== 'string'
        ? 'missing'
        : scope.table === 'customers'
          ? await customerState(ctx, ws, id)
          : (await recordExists(ctx, scope.table, ws, id))
            ? 'live'
            : 'missing';
    if (state === 'missing')
      throw new NotFound(
        `${scope.noun} ${String(id)} not found`,
        reason(scope.noun === 'order' ? 'order.notFound' : 'customer.notFound', { id: String(id) }),
      );
    // An erased customer (PIPL) is kept only for the shop's figures: nothing about them changes any more — points,
    // a tier, a coupon, an opt-out switched back on, a note, a merge or a second erasure were all still taken.
    if (state === 'erased' && req.method !== 'GET' && req.method !== 'HEAD')
      throw new Conflict(
        `customer ${id}'s personal data was erased: the customer is kept for the figures and can no longer be ` +
          'changed',
        reason('customer.erased', { id: String(id) }),
      );
  });
}
