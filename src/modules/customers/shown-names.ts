import { maskDisplayName, maskTextOf } from '../../core/pii-mask.js';
import { canSeePii } from '../auth/roles.js';
import type { AppContext } from '../context.js';

/**
 * What a row naming a customer shows a role without `pii:read`, as the customer list does: the customer's name masked
 * when it is their real name (a nick stays), phones and e-mails masked — for the lists that name a customer beside
 * something else (tasks, feedback, survey answers, automation runs) — and `texts`, free text the buyer or the shop
 * wrote about them (a complaint, an answer), masked with the customer's real name among it.
 */
export async function shownForRole<T extends { customerId: string | null; customerName: string | null }>(
  ctx: AppContext,
  ws: string,
  role: string,
  items: readonly T[],
  texts: (item: T, mask: (v: string) => string) => Partial<T> = () => ({}),
): Promise<T[]> {
  if (canSeePii(role)) return [...items];
  const real = await realNames(
    ctx,
    ws,
    items.flatMap((i) => (i.customerId ? [i.customerId] : [])),
  );
  return items.map((i) => {
    const name = i.customerId ? (real.get(i.customerId) ?? null) : null;
    return {
      ...i,
      customerName: i.customerName === null ? null : maskDisplayName(i.customerName, name),
      ...texts(i, (v) => maskTextOf(v, name)),
    };
  });
}

/** These customers' real names (to mask them in text a role without `pii:read` reads), by customer id. */
export async function realNames(
  ctx: AppContext,
  ws: string,
  ids: readonly string[],
): Promise<Map<string, string | null>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const found = await ctx.db.kysely
    .selectFrom('customers')
    .select(['id', 'real_name'])
    .where('workspace_id', '=', ws)
    .where('id', 'in', unique)
    .execute();
  return new Map(found.map((c) => [c.id, c.real_name]));
}
