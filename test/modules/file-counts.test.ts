import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { Random } from '../../src/core/random.js';
import { customerFileCounts } from '../../src/db/migrations/0076_customer_file_counts.js';
import { dashboard } from '../../src/modules/analytics/service.js';
import {
  countedFileTotals,
  FOLD_AT,
  keptFileTotals,
  resetFileCounts,
} from '../../src/modules/customers/file-counts.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { searchCustomers } from '../../src/modules/customers/service.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { eraseCustomer } from '../../src/modules/privacy/erase.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/** An order of one of `buyers` buyers: unpaid, paid, paid and refunded in full, or a 0-yuan gift. */
function randomOrder(rnd: Random, n: number, buyers: number): OrderRecord {
  const at = new Date(Date.parse('2026-06-01T00:00:00Z') + rnd.int(0, 150) * 86_400_000).toISOString();
  const paid = rnd.chance(0.8);
  const paidFen = paid ? rnd.pick([0, 990, 12_800, 45_000]) : 0;
  const buyer = rnd.int(1, buyers);
  return orderRecord({
    externalId: `fc-${n}`,
    createdAt: at,
    paidAt: paid ? at : null,
    status: paid ? rnd.pick(['paid', 'shipped', 'completed'] as const) : 'created',
    paidFen,
    refundedFen: paid && rnd.chance(0.2) ? paidFen : 0,
    acceptsMarketing: rnd.pick([null, null, true, false]),
    buyer: {
      nick: `买家${buyer}`,
      externalId: null,
      email: null,
      // A few buyers share a phone with another: an import merges them.
      phone: rnd.chance(0.05) ? `1390000${String(rnd.int(1, 8)).padStart(4, '0')}` : null,
      name: null,
    },
  });
}

describeBothDatabases('the customer file totals kept by triggers (0076)', (env) => {
  const totals = (e: TestEnv, ws: string) => keptFileTotals(e.db.kysely, e.db.dialect, ws);
  const counted = (e: TestEnv, ws: string) => countedFileTotals(e.db.kysely, ws);
  const parts = async (e: TestEnv, ws: string) =>
    Number(
      (
        await e.db.kysely
          .selectFrom('customer_file_counts')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('equal the counted totals through imports, consent changes, merges, undo, erasure and the recompute', async () => {
    const e = env();
    const k = e.db.kysely;
    const ws = (await createWorkspace(e.ctx, '计数店')).id;
    const other = (await createWorkspace(e.ctx, '隔壁店')).id;
    const store = await ensureStore(e.ctx, ws, '计数店', 'taobao');
    const otherStore = await ensureStore(e.ctx, other, '隔壁店', 'taobao');
    const rnd = new Random(76);
    const same = async (what: string) => {
      const kept = await totals(e, ws);
      expect(kept, what).toEqual(await counted(e, ws));
      return kept;
    };
    expect(await same('an empty workspace')).toEqual({ customers: 0, consented: 0, buyers: 0, repeatBuyers: 0 });

    let n = 0;
    let merged = 0;
    for (let batch = 0; batch < 10; batch++) {
      const records = Array.from({ length: rnd.int(5, 40) }, () => randomOrder(rnd, n++, 60));
      // Orders move on (paid → refunded, a gift that was not one): a buyer can stop being one.
      if (batch > 2)
        for (let i = 0; i < 5; i++) {
          records.push(randomOrder(rnd, rnd.int(0, n - 1), 60));
        }
      const summary = await k
        .transaction()
        .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
      merged += summary.customersMerged;
      await same(`after import batch ${batch}`);
    }
    await k
      .transaction()
      .execute((trx) =>
        ingestBatch(e.ctx, trx, { store: otherStore, runId: null, consentSource: 'test' }, [
          randomOrder(rnd, 9_999, 1),
        ]),
      );
    const before = await same('after the imports');
    expect(before.customers).toBeGreaterThan(30);
    expect(before.buyers).toBeGreaterThan(10);
    expect(before.repeatBuyers).toBeGreaterThan(3);
    expect(before.consented).toBeGreaterThan(3);
    expect(before.buyers).toBeLessThan(before.customers);
    expect(merged, 'a shared phone merged customers during the imports').toBeGreaterThan(0);
    expect(await totals(e, other)).toEqual({
      customers: 1,
      consented: expect.any(Number),
      buyers: expect.any(Number),
      repeatBuyers: 0,
    });

    // Consent by hand, both ways; a write that leaves it as it is moves nothing.
    const ids = (
      await k.selectFrom('customers').select('id').where('workspace_id', '=', ws).orderBy('id').execute()
    ).map((c) => c.id);
    await k
      .updateTable('customers')
      .set({ marketing_consent: 'granted' })
      .where('workspace_id', '=', ws)
      .where('id', 'in', ids.slice(0, 10))
      .execute();
    await same('after granting');
    await k
      .updateTable('customers')
      .set({ marketing_consent: 'withdrawn' })
      .where('workspace_id', '=', ws)
      .where('id', 'in', ids.slice(5, 8))
      .execute();
    await k.updateTable('customers').set({ display_name: sql`display_name` }).where('workspace_id', '=', ws).execute();
    await same('after withdrawing');

    // A merge by hand removes a customer (and its stats), its undo brings both back.
    const buyers = (
      await k
        .selectFrom('customer_stats')
        .select('customer_id')
        .where('workspace_id', '=', ws)
        .where('paid_orders', '>=', 1)
        .orderBy('customer_id')
        .execute()
    ).map((s) => s.customer_id);
    const merge = await mergeCustomers(e.ctx, ws, buyers[0]!, buyers[1]!, null);
    const afterMerge = await same('after a merge');
    expect(afterMerge.customers).toBe(before.customers - 1);
    await undoMerge(e.ctx, ws, merge.id);
    await same('after its undo');

    // Erasure opts the customer out of everything.
    const granted = await k
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('marketing_consent', '=', 'granted')
      .executeTakeFirstOrThrow();
    await eraseCustomer(e.ctx, ws, granted.id, { confirm: granted.id }, { userId: null, login: null });
    await same('after an erasure');

    // The dashboard shows them.
    const board = await dashboard(e.ctx, ws, 30);
    const now = await counted(e, ws);
    expect(board.totals).toMatchObject({
      customers: now.customers,
      buyers: now.buyers,
      repeatBuyers: now.repeatBuyers,
      consented: now.consented,
    });

    // The recompute leaves them as they are, and repairs them after a hand edit.
    await recomputeAllStats(e.db, ws, e.ctx.now().toISOString());
    await same('after the recompute');
    await k.updateTable('customer_file_counts').set({ buyers: 123_456 }).where('workspace_id', '=', ws).execute();
    expect((await totals(e, ws)).buyers).not.toBe(now.buyers);
    await recomputeAllStats(e.db, ws, e.ctx.now().toISOString());
    expect(await same('after a drift and the recompute')).toEqual(now);
    expect(await totals(e, other)).toEqual(await counted(e, other));
  });

  it('many rows of differences (PostgreSQL) are folded into one by a read, with the same sums', async () => {
    const e = env();
    const k = e.db.kysely;
    const ws = (await createWorkspace(e.ctx, '折叠店')).id;
    const store = await ensureStore(e.ctx, ws, '折叠店', 'taobao');
    // One order per transaction: each writes its own rows on PostgreSQL.
    for (let i = 0; i < FOLD_AT + 20; i++)
      await k.transaction().execute((trx) =>
        ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
          orderRecord({
            externalId: `fold-${i}`,
            createdAt: '2026-11-01T02:00:00.000Z',
            paidFen: 100,
            buyer: { nick: `折叠${i % 200}`, externalId: null, email: null, phone: null, name: null },
          }),
        ]),
      );
    const truth = await counted(e, ws);
    expect(truth).toMatchObject({ customers: 200, buyers: 200, repeatBuyers: FOLD_AT + 20 - 200 });
    if (e.db.dialect === 'sqlite') expect(await parts(e, ws)).toBe(1);
    else expect(await parts(e, ws)).toBeGreaterThan(FOLD_AT);
    expect(await totals(e, ws)).toEqual(truth);
    expect(await parts(e, ws)).toBe(1);
    expect(await totals(e, ws)).toEqual(truth);
    // A reset of a folded workspace is one row too.
    await resetFileCounts(k, e.db.dialect, ws);
    expect(await parts(e, ws)).toBe(1);
    expect(await totals(e, ws)).toEqual(truth);
  });

  it("the customer list's first page takes its total from them when its filters ask for a kept count", async () => {
    const e = env();
    const k = e.db.kysely;
    const ws = (await createWorkspace(e.ctx, '列表店')).id;
    const store = await ensureStore(e.ctx, ws, '列表店', 'taobao');
    const rnd = new Random(7);
    const records = Array.from({ length: 80 }, (_, i) => randomOrder(rnd, 50_000 + i, 40));
    await k
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    const truth = await counted(e, ws);
    const totalOf = async (filters: object) =>
      (await searchCustomers(e.ctx, ws, { sort: 'newest', limit: 2, ...filters } as never, 'owner')).total;
    const lists = [
      [{}, 'customers'],
      [{ consent: 'granted' }, 'consented'],
      [{ minPaidOrders: 1 }, 'buyers'],
      [{ minPaidOrders: 2 }, 'repeatBuyers'],
    ] as const;
    for (const [filters, column] of lists) expect(await totalOf(filters), column).toBe(truth[column]);
    // Read from the kept row (a hand edit shows), and only for those filters: the others are counted.
    await k.updateTable('customer_file_counts').set({ customers: 5_000 }).where('workspace_id', '=', ws).execute();
    const edited = (await totals(e, ws)).customers;
    expect(edited).not.toBe(truth.customers);
    expect(await totalOf({})).toBe(edited);
    expect(await totalOf({ minPaidOrders: 0 })).toBeLessThanOrEqual(truth.customers);
    expect(await totalOf({ consent: 'denied' })).toBe(
      (
        await k
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('marketing_consent', '=', 'denied')
          .execute()
      ).length,
    );
    await resetFileCounts(k, e.db.dialect, ws);
    expect(await totalOf({})).toBe(truth.customers);
  });

  it('0076 counts what is there when it is applied, and down removes the table and its triggers', async () => {
    const e = env();
    const k = e.db.kysely;
    const migration = customerFileCounts(e.db.dialect);
    const truth = await counted(e, e.workspaceId);
    await migration.down(k as never);
    // Customers written without the triggers are counted by up.
    const ws = (await createWorkspace(e.ctx, '迁移店')).id;
    const store = await ensureStore(e.ctx, ws, '迁移店', 'taobao');
    await k.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: 'm1',
          createdAt: '2026-11-01T02:00:00.000Z',
          paidFen: 100,
          acceptsMarketing: true,
          buyer: { nick: '迁1', externalId: null, email: null, phone: null, name: null },
        }),
        orderRecord({
          externalId: 'm2',
          createdAt: '2026-11-02T02:00:00.000Z',
          paidFen: 100,
          buyer: { nick: '迁1', externalId: null, email: null, phone: null, name: null },
        }),
        orderRecord({
          externalId: 'm3',
          createdAt: '2026-11-02T02:00:00.000Z',
          paidAt: null,
          status: 'created',
          buyer: { nick: '迁2', externalId: null, email: null, phone: null, name: null },
        }),
      ]),
    );
    await migration.up(k as never);
    expect(await totals(e, ws)).toEqual({ customers: 2, consented: 1, buyers: 1, repeatBuyers: 1 });
    expect(await totals(e, e.workspaceId)).toEqual(truth);
  });
});
