import SqliteDatabase from 'better-sqlite3';
import { expect, it } from 'vitest';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { sqlitePath } from '../../src/db/connect.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

const CATEGORIES = ['女装/大衣', '美妆/面膜', '女装/连衣裙', null];
const PROVINCES = ['广东省', '浙江省', null, ''];

/**
 * The full recompute writes in short transactions of a range of customers each (by id): the stats and order facts
 * equal those of one transaction; between two chunks another connection takes SQLite's write lock at once, and an
 * order changed there is neither lost nor overwritten; a pass stopped midway leaves the ranges it wrote right and
 * the rest as it found them, and the next pass completes it.
 */
describeBothDatabases('stats recompute: short transactions', (env) => {
  let seq = 0;
  /** Orders for buyers `nicks`, 1–4 each, with categories, activities, provinces, refunds and 0-yuan orders. */
  const records = (nicks: string[], seed: number): OrderRecord[] => {
    let x = seed;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
    const out: OrderRecord[] = [];
    for (const nick of nicks)
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
        const paidFen = rnd() < 0.1 ? 0 : 1000 + Math.floor(rnd() * 40_000);
        out.push(
          orderRecord({
            externalId: `o${seq++}`,
            createdAt: new Date(
              Date.parse('2025-01-01T00:00:00Z') + Math.floor(rnd() * 600) * 86_400_000,
            ).toISOString(),
            paidFen,
            refundedFen: rnd() < 0.15 ? Math.floor(paidFen / 2) : 0,
            province: pick(PROVINCES),
            activity: rnd() < 0.3 ? '双11' : null,
            source: rnd() < 0.5 ? '直播' : null,
            buyer: { nick, externalId: null, email: null, phone: null, name: null },
            items: Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => ({
              lineKey: `L${i}`,
              title: `商品${i}`,
              sku: null,
              externalItemId: null,
              category: pick(CATEGORIES),
              quantity: 1 + Math.floor(rnd() * 3),
              priceFen: 1000,
              paidFen: null,
              refundStatus: null,
            })),
          }),
        );
      }
    return out;
  };
  const ingest = async (e: TestEnv, rows: OrderRecord[]) => {
    const store = await ensureStore(e.ctx, e.workspaceId, '店', 'taobao');
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, rows));
  };
  /** Stats (as_of as ISO text) and facts of the workspace, by customer. */
  const derived = async (e: TestEnv) => {
    const k = e.db.kysely;
    const stats = (
      await k.selectFrom('customer_stats').selectAll().where('workspace_id', '=', e.workspaceId).execute()
    ).map((r) => ({ ...r, as_of: new Date(r.as_of).toISOString() }));
    const facts = (
      await k
        .selectFrom('customer_order_facts')
        .select(['customer_id', 'dim', 'value', 'orders', 'spend_fen', 'first_at', 'last_at'])
        .where('workspace_id', '=', e.workspaceId)
        .execute()
    ).map((f) => ({ ...f, first_at: new Date(f.first_at).toISOString(), last_at: new Date(f.last_at).toISOString() }));
    const key = (r: { customer_id: string; dim?: string; value?: string }) => `${r.customer_id}|${r.dim}|${r.value}`;
    return {
      stats: stats.sort((a, b) => key(a).localeCompare(key(b))),
      facts: facts.sort((a, b) => key(a).localeCompare(key(b))),
    };
  };
  type Derived = Awaited<ReturnType<typeof derived>>;
  const of = (d: Derived, ids: Set<string>): Derived => ({
    stats: d.stats.filter((r) => ids.has(r.customer_id)),
    facts: d.facts.filter((r) => ids.has(r.customer_id)),
  });
  /** Wrong stats and facts: every stats row's amounts and as_of, some facts gone, a fact that does not hold. */
  const damage = async (e: TestEnv, someone: string) => {
    const k = e.db.kysely;
    await k
      .updateTable('customer_stats')
      .set({ total_spent_fen: -1, province: 'x', as_of: '2020-01-01T00:00:00.000Z' })
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    await k
      .deleteFrom('customer_order_facts')
      .where('workspace_id', '=', e.workspaceId)
      .where('dim', '=', 'category')
      .execute();
    await k
      .insertInto('customer_order_facts')
      .values({
        workspace_id: e.workspaceId,
        dim: 'activity',
        value: '不存在',
        customer_id: someone,
        orders: 9,
        spend_fen: 9,
        first_at: '2025-01-01T00:00:00.000Z',
        last_at: '2025-01-01T00:00:00.000Z',
      })
      .execute();
  };

  it('chunks equal one transaction; writes between chunks wait for none, stay; a stopped pass completes', async () => {
    const e = env();
    // Imports refresh their customers' stats as of now: the pass runs as of the same instant.
    const asOf = '2026-11-02T04:00:00.000Z';
    e.setNow(asOf);
    const sqlite = e.db.dialect === 'sqlite';
    const nicks = Array.from({ length: 50 }, (_, i) => `buyer${i}`);
    await ingest(e, records(nicks, 1));
    // The customers in the order of their ids (the chunks' order on this database).
    const ids = (
      await e.db.kysely
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .orderBy('id')
        .execute()
    ).map((r) => r.id);
    expect(ids).toHaveLength(50);

    // One transaction: PostgreSQL's default; on SQLite one chunk as large as the shop.
    const one: number[] = [];
    await recomputeAllStats(e.db, e.workspaceId, asOf, {
      chunkCustomers: sqlite ? 1_000_000 : undefined,
      afterChunk: (n) => void one.push(n),
    });
    expect(one).toEqual([1]);
    const whole = await derived(e);
    expect(whole.stats).toHaveLength(50);
    expect(new Set(whole.facts.map((f) => f.dim))).toEqual(
      new Set(['category', 'activity', 'source', 'store', 'activity+category']),
    );

    // Chunks of 7 customers (8 chunks) from damaged rows: the same rows. On SQLite another connection takes the
    // write lock between two chunks without waiting at all.
    await damage(e, ids[0]!);
    const other = sqlite ? new SqliteDatabase(sqlitePath(e.url), { timeout: 0 }) : null;
    try {
      const chunks: number[] = [];
      const n = await recomputeAllStats(e.db, e.workspaceId, asOf, {
        chunkCustomers: 7,
        afterChunk: (c) => {
          chunks.push(c);
          if (!other) return;
          other.exec('BEGIN IMMEDIATE');
          other.prepare('UPDATE workspaces SET name = name WHERE id = ?').run(e.workspaceId);
          other.exec('COMMIT');
        },
      });
      expect(n).toBe(50);
      expect(chunks).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await derived(e)).toEqual(whole);
    } finally {
      other?.close();
    }

    // Stopped after its third chunk (the process killed, the job failed): the first 21 customers are recomputed,
    // the others are as the pass found them; the next pass completes them — the rows of one transaction.
    await damage(e, ids[0]!);
    const damaged = await derived(e);
    await expect(
      recomputeAllStats(e.db, e.workspaceId, asOf, {
        chunkCustomers: 7,
        afterChunk: (c) => {
          if (c === 3) throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    const half = await derived(e);
    const first = new Set(ids.slice(0, 21));
    const rest = new Set(ids.slice(21));
    expect(of(half, first)).toEqual(of(whole, first));
    expect(of(half, rest)).toEqual(of(damaged, rest));
    await recomputeAllStats(e.db, e.workspaceId, asOf, { chunkCustomers: 7 });
    expect(await derived(e)).toEqual(whole);

    // Orders that arrive between two chunks — for customers already written and for customers still to come, and a
    // new customer — are refreshed by their own transaction and not overwritten by the pass: the result equals a
    // one-transaction recompute of the final orders.
    await recomputeAllStats(e.db, e.workspaceId, asOf, {
      chunkCustomers: 7,
      afterChunk: async (c) => {
        if (c === 4) await ingest(e, records(['buyer0', 'buyer25', 'buyer49', 'newcomer'], 77));
      },
    });
    const chunked = await derived(e);
    await recomputeAllStats(e.db, e.workspaceId, asOf, { chunkCustomers: sqlite ? 1_000_000 : undefined });
    const final = await derived(e);
    expect(final.stats).toHaveLength(51);
    // The incremental refresh writes the import's own as_of for its customers; everything else is equal.
    const noAsOf = (d: Derived) => ({ ...d, stats: d.stats.map(({ as_of: _a, ...r }) => r) });
    expect(noAsOf(chunked)).toEqual(noAsOf(final));
    expect(noAsOf(final)).not.toEqual(noAsOf(whole));
  });
});
