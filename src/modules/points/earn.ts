import { reason } from '../../core/reasons.js';
import { NotFound, Invalid } from '../../core/errors.js';
import { referralPoints, signInPoints, type Decision } from '../../core/earn-rules.js';
import { nowIso, type AppContext } from '../context.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { credit, getPointsSettings, type EntryView } from './service.js';

/** Points by an earn rule (积分规则); each decision carries the key that makes it happen once. */
export async function earnByRule(
  ctx: AppContext,
  ws: string,
  customerId: string,
  d: Decision,
  source: string,
  by: string | null = null,
): Promise<EntryView> {
  if (!('key' in d)) throw new Invalid(d.refused, d.why);
  return credit(ctx, ws, { customerId, points: d.points, kind: 'earn', source, reason: d.reason, key: d.key, by });
}

async function mustExist(ctx: AppContext, ws: string, id: string, what: string) {
  const c = await ctx.db.kysely
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!c) throw new NotFound(`${what} ${id} not found`, reason('customer.notFound', { id }));
}

/** Daily sign-in / shop visit: once per local day of the shop. */
export async function signIn(
  ctx: AppContext,
  ws: string,
  customerId: string,
  at: string = nowIso(ctx),
): Promise<EntryView> {
  await mustExist(ctx, ws, customerId, 'customer');
  const s = await getPointsSettings(ctx, ws);
  return earnByRule(
    ctx,
    ws,
    customerId,
    signInPoints(s.earnRules, customerId, at, await workspaceTimezone(ctx.db.kysely, ws)),
    'sign_in',
  );
}

/** A customer brought another: the referrer earns once per referred customer. */
export async function referral(
  ctx: AppContext,
  ws: string,
  referrerId: string,
  referredId: string,
  by: string | null,
): Promise<EntryView> {
  await mustExist(ctx, ws, referrerId, 'customer');
  await mustExist(ctx, ws, referredId, 'referred customer');
  const s = await getPointsSettings(ctx, ws);
  return earnByRule(ctx, ws, referrerId, referralPoints(s.earnRules, referrerId, referredId), 'referral', by);
}
