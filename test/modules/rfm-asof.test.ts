import { expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { recomputeRfm, rfmAsOf } from '../../src/modules/segments/rfm.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * An old data set (a 2018 export, scored in 2026): without a date everyone is 流失; scored as of
 * 2018-06-30 the lifecycle and recency are those of that day, and a purchase after it does not count.
 *   loyal   3 orders 2018-03 … 2018-06-20
 *   once    1 order 2018-06-01
 *   sleepy  1 order 2017-11-01 (241 days before: dormant)
 *   gone    1 order 2017-01-10 (more than 365 days before: churned)
 *   later   1 order 2018-08-01 (after the date: not a buyer yet)
 */
describeBothDatabases('RFM as of a date', (env) => {
  const history = [
    ['loyal', '2018-03-08'],
    ['loyal', '2018-05-20'],
    ['loyal', '2018-06-20'],
    ['once', '2018-06-01'],
    ['sleepy', '2017-11-01'],
    ['gone', '2017-01-10'],
    ['later', '2018-08-01'],
  ] as const;

  const lifecycles = async () => {
    const e = env();
    const rows = await e.db.kysely
      .selectFrom('customer_rfm as r')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.workspace_id', '=', 'r.workspace_id').onRef('c.id', '=', 'r.customer_id'),
      )
      .select(['c.display_name', 'r.lifecycle', 'r.r_score'])
      .where('r.workspace_id', '=', e.workspaceId)
      .orderBy('c.display_name')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.display_name, r.lifecycle]));
  };

  it('scores an old history as of a date: recency and windows from that date, later orders left out', async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '老店', 'taobao');
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(
        e.ctx,
        trx,
        { store, runId: null, consentSource: 'test' },
        history.map(([nick, day], i) =>
          orderRecord({
            externalId: `h${i}`,
            createdAt: `${day}T02:00:00.000Z`,
            paidFen: 10000,
            buyer: { nick, externalId: null, email: null, phone: null, name: null },
          }),
        ),
      ),
    );
    await recomputeRfm(e.ctx, e.workspaceId);
    expect(await lifecycles()).toEqual({
      gone: 'churned',
      later: 'churned',
      loyal: 'churned',
      once: 'churned',
      sleepy: 'churned',
    });

    const asOf = await rfmAsOf(e.ctx, e.workspaceId, '2018-06-30');
    expect(asOf).toBe('2018-06-30T16:00:00.000Z'); // the end of 30 June in Shanghai
    await recomputeRfm(e.ctx, e.workspaceId, asOf);
    expect(await lifecycles()).toEqual({
      gone: 'churned',
      later: 'prospect',
      loyal: 'mature',
      once: 'new',
      sleepy: 'dormant',
    });
    await expect(rfmAsOf(e.ctx, e.workspaceId, '30/06/2018')).rejects.toThrow(/asOf: expected a date like 2018-06-30/);
    // A day that does not exist was a 500, year 0000 was read as 1900: both refused, naming what was sent.
    for (const bad of ['2026-02-30', '2025-02-29', '2026-13-01', '0000-01-01', '2100-01-01T00:00:00Z'])
      await expect(rfmAsOf(e.ctx, e.workspaceId, bad), bad).rejects.toMatchObject({
        code: 'invalid',
        reason: { key: 'rfm.asOf' },
      });
    expect(await rfmAsOf(e.ctx, e.workspaceId, '2024-02-29')).toBe('2024-02-29T16:00:00.000Z');
  });

  it('a recompute writes only the rows that changed (their computed_at moves, the others keep theirs)', async () => {
    const e = env();
    const at = async () => {
      const rows = await e.db.kysely
        .selectFrom('customer_rfm as r')
        .innerJoin('customers as c', (j) =>
          j.onRef('c.workspace_id', '=', 'r.workspace_id').onRef('c.id', '=', 'r.customer_id'),
        )
        .select(['c.display_name', 'r.computed_at', 'r.lifecycle'])
        .where('r.workspace_id', '=', e.workspaceId)
        .execute();
      return Object.fromEntries(rows.map((r) => [r.display_name, new Date(r.computed_at).toISOString()]));
    };
    const first = await rfmAsOf(e.ctx, e.workspaceId, '2018-06-30');
    await recomputeRfm(e.ctx, e.workspaceId, first);
    const before = await at();
    // A day later nothing crosses a boundary: no row is rewritten.
    await recomputeRfm(e.ctx, e.workspaceId, await rfmAsOf(e.ctx, e.workspaceId, '2018-07-01'));
    expect(await at()).toEqual(before);
    // Three months on, "once" has gone dormant and "later" has become a buyer: those rows move.
    const later = await rfmAsOf(e.ctx, e.workspaceId, '2018-09-30');
    const n = await recomputeRfm(e.ctx, e.workspaceId, later);
    expect(n).toBe(Object.keys(before).length);
    const after = await at();
    expect(after.once).toBe(later);
    expect(after.later).toBe(later);
    expect(after.gone).toBe(before.gone);
  });

  it('over HTTP: POST /rfm/recompute {"asOf"}; without a body it scores today', async () => {
    const e = env();
    await createUser(e.ctx, e.workspaceId, { login: 'rfm', password: 'secret-pass-3' });
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-rfm-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'rfm', password: 'secret-pass-3' },
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const dated = await app.inject({
        method: 'POST',
        url: '/api/v1/rfm/recompute',
        payload: { asOf: '2018-06-30' },
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(dated.statusCode, dated.body).toBe(200);
      expect(dated.json()).toEqual({ customers: 5, asOf: '2018-06-30T16:00:00.000Z' });
      expect((await lifecycles()).loyal).toBe('mature');
      const bad = await app.inject({
        method: 'POST',
        url: '/api/v1/rfm/recompute',
        payload: { asOf: 'last summer' },
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/asOf/);
      const today = await app.inject({
        method: 'POST',
        url: '/api/v1/rfm/recompute',
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(today.statusCode, today.body).toBe(200);
      expect((await lifecycles()).loyal).toBe('churned');
    } finally {
      await app.close();
    }
  });
});
