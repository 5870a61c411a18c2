import { sql } from 'kysely';
import type { Trigger } from '../../core/automations/definition.js';
import { holidaysOn } from '../../core/automations/holidays.js';
import { type CategoryPurchase, refillIntervals, refillsByDay } from '../../core/automations/refill.js';
import { addDays, DAY_MS, parseLocalDateTime } from '../../core/time.js';
import { timestampCast } from '../../db/dates.js';
import type { AppContext } from '../context.js';
import { getTierSettings } from '../membership/service.js';
import type { NewRun } from './runner.js';
import { yieldToEventLoop } from '../event-loop.js';

type DateTrigger = Trigger & { type: 'date' };

/** The UTC instants a local calendar day starts and ends. */
export function dayBounds(day: string, zone: string): { start: string; end: string } {
  const start = parseLocalDateTime(`${day} 00:00`, zone)!;
  return { start, end: addDays(start, 1) };
}

const nextDay = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Order lines read per page for the refill intervals. */
export const HISTORY_PAGE = 5000;

/**
 * Purchases of each category (or each product: its SKU, else its title) by each customer (paid orders), for the
 * refill intervals; `names` says a product key in words (its title) for the message.
 */
export async function categoryHistory(
  ctx: AppContext,
  ws: string,
  by: 'category' | 'product' = 'category',
  pageSize = HISTORY_PAGE,
): Promise<{ history: CategoryPurchase[]; names: Map<string, string> }> {
  // Read in keyset pages of order lines with a pause between them: a shop's whole purchase history in one query
  // would hold better-sqlite3's one thread (and the server on it) for seconds.
  const rows: {
    customer_id: string | null;
    category: string | null;
    sku: string | null;
    title: string | null;
    paid_at: string | null;
    created_at: string;
    id: string;
  }[] = [];
  let after: { order: string; line: string } | null = null;
  for (;;) {
    const page = await ctx.db.kysely
      .selectFrom('order_items as i')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.workspace_id', '=', 'i.workspace_id').onRef('o.id', '=', 'i.order_id'),
      )
      .select(['o.customer_id', 'i.category', 'i.sku', 'i.title', 'o.paid_at', 'o.created_at', 'o.id', 'i.line_key'])
      .where('i.workspace_id', '=', ws)
      .where((e) => {
        const what =
          by === 'category'
            ? e('i.category', 'is not', null)
            : e.or([e('i.sku', 'is not', null), e('i.title', 'is not', null)]);
        if (!after) return what;
        // A row value, which both databases seek to in the key's index: "order > x OR (order = x AND line > y)"
        // made SQLite scan from the first line on every page (0.18 s a page at 3M lines, 2 minutes in all). The
        // orders' bound too: PostgreSQL merges the two keys' indexes and read the orders from the first (0.6 s a page).
        return e.and([
          what,
          e(e.refTuple('i.order_id', 'i.line_key'), '>', e.tuple(after.order, after.line)),
          e('o.id', '>=', after.order),
        ]);
      })
      .where('o.customer_id', 'is not', null)
      .where('o.paid_fen', '>', 0)
      .where('o.status', 'not in', ['closed', 'refunded'])
      .orderBy('i.order_id')
      .orderBy('i.line_key')
      .limit(pageSize)
      .execute();
    rows.push(...page);
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) break;
    after = { order: last.id, line: last.line_key };
    await yieldToEventLoop();
  }
  const names = new Map<string, string>();
  const history = rows.map((r) => {
    const key = by === 'category' ? r.category! : r.sku ? `sku:${r.sku}` : `title:${r.title}`;
    if (!names.has(key)) names.set(key, by === 'category' ? r.category! : (r.title ?? r.sku!));
    return { customerId: r.customer_id!, category: key, at: r.paid_at ?? r.created_at, orderId: r.id };
  });
  return { history, names };
}

const productValues = (by: 'category' | 'product', name: string): Record<string, string> =>
  by === 'category' ? { 类目: name } : { 类目: name, 商品名: name };

/**
 * Who a date trigger starts a run for on a local day, each with the key that makes it once: the
 * birthday once a year, a festival once a year, a coupon once, a dormancy stage once per last
 * order, a refill once per last purchase.
 */
export async function dateCandidates(
  ctx: AppContext,
  ws: string,
  trigger: DateTrigger,
  day: string,
  zone: string,
): Promise<NewRun[]> {
  const k = ctx.db.kysely;
  const ts = timestampCast(ctx.db.dialect);
  const target = nextDay(day, trigger.daysBefore ?? 0);
  const { start } = dayBounds(day, zone);
  const t = dayBounds(target, zone);
  switch (trigger.date) {
    case 'birthday': {
      const md = target.slice(5);
      const rows = await k
        .selectFrom('customers')
        .select(['id', 'birthday'])
        .where('workspace_id', '=', ws)
        .where('birthday', 'is not', null)
        .execute();
      return rows
        .filter((r) => {
          const m = /(\d{1,2})[-/.月](\d{1,2})日?$/.exec(r.birthday!.trim());
          return m !== null && `${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` === md;
        })
        .map((r) => ({
          customerId: r.id,
          orderId: null,
          triggerKey: `birthday:${target.slice(0, 4)}:${r.id}`,
          triggerAt: start,
        }));
    }
    case 'holiday': {
      const names = holidaysOn(target, trigger.holidays ?? [], trigger.anniversary);
      if (names.length === 0) return [];
      const buyers = await k
        .selectFrom('customer_stats')
        .select('customer_id')
        .where('workspace_id', '=', ws)
        .where('paid_orders', '>', 0)
        .execute();
      return names.flatMap((name) =>
        buyers.map((b) => ({
          customerId: b.customer_id,
          orderId: null,
          triggerKey: `holiday:${name}:${target.slice(0, 4)}:${b.customer_id}`,
          triggerAt: start,
          values: { 节日: name },
        })),
      );
    }
    case 'coupon_expiry': {
      const rows = await k
        .selectFrom('coupons')
        .select(['id', 'customer_id'])
        .where('workspace_id', '=', ws)
        .where('status', '=', 'issued')
        .where(sql<boolean>`valid_to >= ${t.start}${ts}`)
        .where(sql<boolean>`valid_to < ${t.end}${ts}`)
        .execute();
      return rows.map((r) => ({
        customerId: r.customer_id,
        orderId: null,
        triggerKey: `coupon:${r.id}`,
        triggerAt: start,
      }));
    }
    case 'points_expiry': {
      const rows = await k
        .selectFrom('points_entries')
        .select('customer_id')
        .distinct()
        .where('workspace_id', '=', ws)
        .where('points', '>', 0)
        .where(sql<boolean>`expires_at >= ${t.start}${ts}`)
        .where(sql<boolean>`expires_at < ${t.end}${ts}`)
        .execute();
      return rows.map((r) => ({
        customerId: r.customer_id,
        orderId: null,
        triggerKey: `points:${target}:${r.customer_id}`,
        triggerAt: start,
      }));
    }
    case 'dormant':
      return dormantCandidates(ctx, ws, trigger, [day], zone);
    case 'refill':
      return refillCandidates(ctx, ws, trigger, [day], zone);
    case 'member_upgrade': {
      const tiers = (await getTierSettings(ctx, ws)).tiers.map((x) => x.key);
      const rows = await k
        .selectFrom('tier_history')
        .select(['id', 'customer_id', 'from_key', 'to_key'])
        .where('workspace_id', '=', ws)
        .where(sql<boolean>`created_at >= ${addDays(start, -1)}${ts}`)
        .where(sql<boolean>`created_at < ${addDays(start, 1)}${ts}`)
        .execute();
      return rows
        .filter((r) => r.from_key === null || tiers.indexOf(r.to_key) > tiers.indexOf(r.from_key))
        .map((r) => ({ customerId: r.customer_id, orderId: null, triggerKey: `upgrade:${r.id}`, triggerAt: start }));
    }
  }
}

/**
 * 沉睡唤醒's runs over consecutive local days (one day for the daily run, 30 for the dry run): per stage, the customers
 * whose last order is in the stage's band on one of the days — one query per stage for all the days — each on the first
 * day it is in the band (a day's query returns the whole band: per day, 30 dry-run days at 1M customers read 23M rows).
 */
async function dormantCandidates(
  ctx: AppContext,
  ws: string,
  trigger: DateTrigger,
  days: readonly string[],
  zone: string,
): Promise<NewRun[]> {
  const ts = timestampCast(ctx.db.dialect);
  const starts = days.map((d) => dayBounds(d, zone).start);
  const stages = [...new Set(trigger.stages ?? [90, 180, 365])].sort((a, b) => a - b);
  const out: NewRun[] = [];
  for (const [i, s] of stages.entries()) {
    const next = stages[i + 1];
    // On day j the band is [start_j − next stage, start_j − this stage).
    const hi = starts.map((start) => Date.parse(addDays(start, -s)));
    const lo = next === undefined ? null : starts.map((start) => Date.parse(addDays(start, -next)));
    let q = ctx.db.kysely
      .selectFrom('customer_stats')
      .select(['customer_id', 'last_order_at'])
      .where('workspace_id', '=', ws)
      .where('last_order_at', 'is not', null)
      .where(sql<boolean>`last_order_at < ${new Date(Math.max(...hi)).toISOString()}${ts}`);
    if (lo) q = q.where(sql<boolean>`last_order_at >= ${new Date(Math.min(...lo)).toISOString()}${ts}`);
    for (const r of await q.execute()) {
      const last = new Date(r.last_order_at!).getTime();
      const j = hi.findIndex((h, d) => last < h && (lo === null || last >= lo[d]!));
      if (j < 0) continue;
      out.push({
        customerId: r.customer_id,
        orderId: null,
        triggerKey: `dormant:${s}:${r.customer_id}:${r.last_order_at}`,
        triggerAt: starts[j]!,
      });
    }
  }
  return out;
}

/**
 * 复购提醒's runs over consecutive local days (one for the daily run, 30 for the dry run): the purchase history is read
 * and the intervals learned once, and each customer's last purchase of a category starts a run on the first day its
 * refill is due — by the end of the day `daysBefore` ahead, and due within the last week (switching it on does not
 * remind everyone whose refill passed long ago).
 */
async function refillCandidates(
  ctx: AppContext,
  ws: string,
  trigger: DateTrigger,
  days: readonly string[],
  zone: string,
): Promise<NewRun[]> {
  const by = trigger.refillBy ?? 'category';
  const { history, names } = await categoryHistory(ctx, ws, by);
  const bounds = days.map((day) => {
    const start = dayBounds(day, zone).start;
    const end = dayBounds(nextDay(day, trigger.daysBefore ?? 0), zone).end;
    return { start, since: Date.parse(start) - 7 * DAY_MS, until: Date.parse(end) };
  });
  const perDay = refillsByDay(history, refillIntervals(history), bounds);
  return perDay.flatMap((list, j) =>
    list.map((d) => ({
      customerId: d.customerId,
      orderId: d.lastOrderId,
      triggerKey: `refill:${d.category}:${d.customerId}:${d.lastOrderId}`,
      triggerAt: bounds[j]!.start,
      // Per product, #类目# and #商品名# both say the product (a default text names #类目#).
      values: productValues(by, names.get(d.category) ?? d.category),
    })),
  );
}

/** A date trigger's runs over consecutive local days, each once (by its key) on the first day that starts it. */
export async function dateCandidatesOver(
  ctx: AppContext,
  ws: string,
  trigger: DateTrigger,
  days: readonly string[],
  zone: string,
): Promise<NewRun[]> {
  if (trigger.date === 'dormant') return dormantCandidates(ctx, ws, trigger, days, zone);
  if (trigger.date === 'refill') return refillCandidates(ctx, ws, trigger, days, zone);
  return dateCandidatesDayByDay(ctx, ws, trigger, days, zone);
}

/** The same, asking each day as the daily pass does (every trigger but those two; their tests' reference). */
export async function dateCandidatesDayByDay(
  ctx: AppContext,
  ws: string,
  trigger: DateTrigger,
  days: readonly string[],
  zone: string,
): Promise<NewRun[]> {
  const seen = new Set<string>();
  const out: NewRun[] = [];
  for (const day of days)
    for (const c of await dateCandidates(ctx, ws, trigger, day, zone))
      if (!seen.has(c.triggerKey)) {
        seen.add(c.triggerKey);
        out.push(c);
      }
  return out;
}
