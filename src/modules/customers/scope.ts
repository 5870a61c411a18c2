import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../core/errors.js';
import type { AppContext } from '../context.js';

const CUSTOMER_ROUTE = '/api/v1/customers/:id';

/** Whether the customer is one of this workspace's. */
export async function customerExists(ctx: AppContext, workspaceId: string, id: string): Promise<boolean> {
  const row = await ctx.db.kysely
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Every route under /customers/{id} (points, tags, notes, tier, coupons, reviews, tasks … whichever module serves
 * it) answers 404 for a customer that is not the caller's — the same answer as GET /customers/{id} — instead of an
 * empty list that would tell "exists elsewhere or has nothing" apart from nothing. Checked once here, before the
 * body is validated, so a new sub-route cannot forget it.
 */
export function registerCustomerScope(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preValidation', async (req) => {
    const url = req.routeOptions.url;
    if (!req.principal || !url || (url !== CUSTOMER_ROUTE && !url.startsWith(`${CUSTOMER_ROUTE}/`))) return;
    const id = (req.params as { id?: unknown }).id;
    if (typeof id !== 'string' || !(await customerExists(ctx, req.principal.workspaceId, id)))
      throw new NotFound(`customer ${String(id)} not found`);
  });
}
