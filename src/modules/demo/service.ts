import { newId } from '../../core/ids.js';
import { Random } from '../../core/random.js';
import { customerPinyin } from '../../core/pinyin-keys.js';
import type { OrderRecord } from '../../core/formats/types.js';
import type { Store } from '../../db/types.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { refreshCustomerStats } from '../customers/stats.js';
import { consentStates, recordConsent } from '../customers/consent.js';
import type { ConsentState } from '../../core/consent.js';
import { ingestBatch } from '../orders/ingest.js';
import { ensureStore } from '../stores/service.js';
import { generateDemo, type DemoPerson } from './generate.js';
import { recomputeRfm } from '../segments/rfm.js';
import { rebuildAnalytics } from '../analytics/rebuild.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { evaluateUpgrades } from '../membership/service.js';
import { seedDemoMarketing } from './marketing.js';
import { seedDemoCampaigns } from './campaigns.js';

export interface DemoSummary {
  customers: number;
  orders: number;
  stores: string[];
}

/**
 * Loads the demo shop through the same ingestion path as a real import (so stats, identities and
 * statuses behave exactly as they will with the seller's own data), then adds what exports do
 * not carry: inquiry-only customers, gender, birthdays and marketing consent.
 */
export async function loadDemo(
  ctx: AppContext,
  workspaceId: string,
  opts: { customers?: number; seed?: number; until?: Date; onProgress?: (done: number, total: number) => void } = {},
): Promise<DemoSummary> {
  const total = opts.customers ?? 20_000;
  const tmall = await ensureStore(ctx, workspaceId, '回客旗舰店', 'tmall');
  const douyin = await ensureStore(ctx, workspaceId, '回客抖音小店', 'douyin');
  const pending: Record<'tmall' | 'douyin', OrderRecord[]> = { tmall: [], douyin: [] };
  const people: DemoPerson[] = [];
  let orders = 0;

  const flush = async (store: Store, list: OrderRecord[]) => {
    if (list.length === 0) return;
    await ctx.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(ctx, trx, { store, runId: null, consentSource: 'demo' }, list));
  };
  for (const { person, orders: os } of generateDemo({
    customers: total,
    seed: opts.seed ?? 20241111,
    until: opts.until ?? ctx.now(),
  })) {
    people.push(person);
    for (const o of os) {
      pending[o.store].push(o.record);
      orders += 1;
    }
    for (const [key, store] of [
      ['tmall', tmall],
      ['douyin', douyin],
    ] as const) {
      if (pending[key].length >= 2000) {
        await flush(store, pending[key]);
        pending[key] = [];
      }
    }
    if (person.n % 1000 === 0) opts.onProgress?.(person.n, total);
  }
  await flush(tmall, pending.tmall);
  await flush(douyin, pending.douyin);
  await addProfiles(ctx, workspaceId, people, tmall.id, opts.seed ?? 20241111);
  await recomputeRfm(ctx, workspaceId);
  // Order points: earned in the background by the worker (one ledger entry per order), dated at each order's payment.
  await enqueue(
    ctx.db.kysely,
    { workspaceId, kind: JOB.points, dedupeKey: 'demo', payload: { atOrderTime: true } },
    nowIso(ctx),
  );
  // Predicted values (BG/NBD + Gamma-Gamma) too, so the demo shows them before the first nightly fit.
  await enqueue(ctx.db.kysely, { workspaceId, kind: JOB.predictFit, dedupeKey: 'demo' }, nowIso(ctx));
  await evaluateUpgrades(ctx, workspaceId);
  await seedDemoMarketing(ctx, workspaceId);
  // Past campaigns whose recipients bought more than their control group, then the classes again.
  await seedDemoCampaigns(ctx, workspaceId, tmall, opts.seed ?? 20241111);
  // Their orders lift some buyers past a tier's threshold: upgrade them now (达标即升级), as an import would, or
  // 立即评估升级 right after the load upgrades hundreds and the 360 page shows a tier below the customer's spend.
  await evaluateUpgrades(ctx, workspaceId);
  await recomputeRfm(ctx, workspaceId);
  // The 数据分析 figures, so the page has them before the first import or nightly run.
  await rebuildAnalytics(ctx, workspaceId);
  opts.onProgress?.(total, total);
  return { customers: total, orders, stores: [tmall.name, douyin.name] };
}

async function addProfiles(ctx: AppContext, workspaceId: string, people: DemoPerson[], storeId: string, seed: number) {
  const k = ctx.db.kysely;
  const now = nowIso(ctx);
  const rnd = new Random(seed + 1);
  const byPhone = new Map<string, string>();
  for (const part of chunks(
    people.map((p) => p.phone),
    900,
  )) {
    const rows = await k
      .selectFrom('customer_identities')
      .select(['value', 'customer_id'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'phone')
      .where('value', 'in', part)
      .execute();
    for (const r of rows) byPhone.set(r.value, r.customer_id);
  }
  for (const part of chunks(people, 2000)) {
    await k.transaction().execute(async (trx) => {
      const inquiry: string[] = [];
      // Consent given or refused at 会员入会 is written down as any change is (the customer's 授权记录).
      const before = await consentStates(
        trx,
        workspaceId,
        part.flatMap((p) => byPhone.get(p.phone) ?? []),
      );
      const changes: { customerId: string; before: ConsentState | null; after: Partial<ConsentState> }[] = [];
      for (const p of part) {
        const consent = rnd.weighted([
          ['granted', 62],
          ['unknown', 33],
          ['denied', 5],
        ] as const);
        let id = byPhone.get(p.phone);
        if (!id) {
          // 询单 (inquiry-only): chatted with customer service, never ordered.
          id = newId();
          inquiry.push(id);
          await trx
            .insertInto('customers')
            .values({
              workspace_id: workspaceId,
              id,
              display_name: p.nick,
              real_name: null,
              name_pinyin: customerPinyin(p.nick, null, [p.nick]),
              phone: null,
              email: null,
              province: p.province,
              city: p.city,
              gender: null,
              birthday: null,
              marketing_consent: 'unknown',
              consent_source: null,
              consent_at: null,
              first_store_id: storeId,
              created_at: now,
              updated_at: now,
            })
            .execute();
          await trx
            .insertInto('customer_identities')
            .values({
              workspace_id: workspaceId,
              id: newId(),
              customer_id: id,
              kind: 'nick',
              scope: 'taobao',
              value: p.nick,
              store_id: storeId,
              created_at: now,
            })
            .execute();
          continue;
        }
        await trx
          .updateTable('customers')
          .set({
            gender: p.gender,
            birthday: p.birthday,
            marketing_consent: consent,
            consent_source: consent === 'unknown' ? null : 'demo:会员入会',
            consent_at: consent === 'unknown' ? null : now,
            updated_at: now,
          })
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .execute();
        if (consent !== 'unknown')
          changes.push({ customerId: id, before: before.get(id) ?? null, after: { marketing_consent: consent } });
      }
      await recordConsent(trx, ctx.db.dialect, workspaceId, changes, { source: 'demo', detail: 'demo:会员入会' }, now);
      await refreshCustomerStats(trx, ctx.db.dialect, workspaceId, inquiry, now);
    });
  }
}

/** Whether a workspace has no customers yet (npm start loads the demo then). */
export async function isEmpty(ctx: AppContext, workspaceId: string): Promise<boolean> {
  const one = await ctx.db.kysely
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .limit(1)
    .executeTakeFirst();
  return !one;
}
