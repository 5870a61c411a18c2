import { beforeAll, expect, it } from 'vitest';
import {
  archiveTemplate,
  couponReport,
  createTemplate,
  customerCoupons,
  expireCoupons,
  expiringCoupons,
  issueCoupon,
  issueToSegment,
  matchCouponUses,
  pauseTemplate,
} from '../../src/modules/coupons/service.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import type { Store } from '../../src/db/types.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

describeBothDatabases('coupons', (env) => {
  let store: Store;
  const ids: string[] = [];
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    store = await ensureStore(e.ctx, e.workspaceId, '券店', 'tmall');
    const records = Array.from({ length: 40 }, (_, i) =>
      orderRecord({
        externalId: String(100 + i),
        createdAt: '2026-10-01T02:00:00.000Z',
        paidFen: 5000 + i * 100,
        buyer: { nick: `c${String(i).padStart(2, '0')}`, externalId: null, email: null, phone: null, name: null },
      }),
    );
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    const rows = await e.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .orderBy('display_name')
      .execute();
    ids.push(...rows.map((r) => r.id));
  });

  it('templates are validated with clear errors', async () => {
    const e = env();
    await expect(
      createTemplate(e.ctx, e.workspaceId, {
        name: '坏券',
        rules: { kind: 'spend_off', minFen: 10000 },
        validity: { days: 30 },
      }),
    ).rejects.toThrow(/rules\.offFen/);
    await expect(
      createTemplate(e.ctx, e.workspaceId, {
        name: '坏券',
        rules: { kind: 'discount', percent: 120 },
        validity: { days: 30 },
      }),
    ).rejects.toThrow(/rules\.percent/);
    await expect(
      createTemplate(e.ctx, e.workspaceId, {
        name: '坏券',
        rules: { kind: 'cash', offFen: 500 },
        validity: { from: '2026-12-01T00:00:00+08:00', to: '2026-11-01T00:00:00+08:00' },
      }),
    ).rejects.toThrow(/ends after it starts/);
    // What hostile input got in: 满100减120, 2^53 fen, a megabyte SKU, 100,000 tiers, dates in 0000 and 9999.
    const refused = async (rules: object, validity: object, key: string, path: string) => {
      const e2 = await createTemplate(e.ctx, e.workspaceId, { name: '坏券', rules, validity }).catch((x: unknown) => x);
      expect(e2, JSON.stringify(rules)).toMatchObject({ code: 'invalid' });
      const details = (e2 as { details: { issues: { key: string; path: string }[] } }).details.issues;
      expect(details, JSON.stringify(rules)).toEqual([expect.objectContaining({ key, path })]);
    };
    const days = { days: 30 };
    await refused({ kind: 'spend_off', minFen: 10000, offFen: 12000 }, days, 'coupon.offOverMin', 'rules.offFen');
    await refused(
      {
        kind: 'tiered',
        steps: [
          { minFen: 20000, offFen: 2000 },
          { minFen: 50000, offFen: 60000 },
        ],
      },
      days,
      'coupon.offOverMin',
      'rules.steps.1.offFen',
    );
    await refused({ kind: 'cash', offFen: 2 ** 53 - 1 }, days, 'input.tooBig', 'rules.offFen');
    await refused({ kind: 'trial', sku: 's'.repeat(1_000_000) }, days, 'input.tooLong', 'rules.sku');
    await refused(
      { kind: 'member', tierKeys: Array.from({ length: 100_000 }, (_, i) => `t${i}`), minFen: 0, offFen: 500 },
      days,
      'input.tooMany',
      'rules.tierKeys',
    );
    for (const [from, to, path] of [
      ['0000-01-01T00:00:00Z', '2026-12-01T00:00:00Z', 'validity.from'],
      ['2026-11-01T00:00:00Z', '9999-12-31T00:00:00Z', 'validity.to'],
    ] as const)
      await refused({ kind: 'cash', offFen: 500 }, { from, to }, 'coupon.validityYear', path);
    // 满100减100 and a coupon without threshold (满0减20) stay as they were.
    for (const rules of [
      { kind: 'spend_off', minFen: 10000, offFen: 10000 },
      { kind: 'spend_off', minFen: 0, offFen: 2000 },
    ])
      await expect(
        createTemplate(e.ctx, e.workspaceId, { name: `好券${rules.minFen}`, rules, validity: days }),
      ).resolves.toMatchObject({ rules });
  });

  it('a paused template says to resume it; an archived one, paused or not, that it issues no more', async () => {
    const e = env();
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '停发券',
      rules: { kind: 'cash', offFen: 300 },
      validity: { days: 7 },
    });
    const issue = (key: string) =>
      issueCoupon(e.ctx, e.workspaceId, { templateId: t.id, customerId: ids[0]!, key, source: 'manual' });
    await pauseTemplate(e.ctx, e.workspaceId, t.id, true);
    await expect(issue('p-1')).rejects.toMatchObject({ code: 'conflict', reason: { key: 'coupon.paused' } });
    // It said "out of stock (null issued)" once archived, and "resume it" when paused too: resume answers 404.
    await archiveTemplate(e.ctx, e.workspaceId, t.id);
    await expect(issue('p-2')).rejects.toMatchObject({
      code: 'conflict',
      reason: { key: 'coupon.archived', params: { coupon: '停发券' } },
    });
  });

  it('stock and per-customer limits hold, even issued concurrently; retries issue once', async () => {
    const e = env();
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '满100减20',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 2000 },
      validity: { days: 30 },
      totalStock: 10,
    });
    const results = await Promise.allSettled(
      ids
        .slice(0, 30)
        .map((c) =>
          issueCoupon(e.ctx, e.workspaceId, { templateId: t.id, customerId: c, key: `k-${c}`, source: 'manual' }),
        ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => /out of stock/.test(String((r as PromiseRejectedResult).reason))),
    ).toBe(true);
    const first = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
      customer_id: string;
      id: string;
      idempotency_key: string;
    }>;
    const again = await issueCoupon(e.ctx, e.workspaceId, {
      templateId: t.id,
      customerId: first.value.customer_id,
      key: first.value.idempotency_key,
      source: 'manual',
    });
    expect([again.id, again.replayed]).toEqual([first.value.id, true]);
    const limited = await createTemplate(e.ctx, e.workspaceId, {
      name: '生日券',
      rules: { kind: 'birthday', minFen: 0, offFen: 1000 },
      validity: { days: 7 },
    });
    await issueCoupon(e.ctx, e.workspaceId, {
      templateId: limited.id,
      customerId: ids[0]!,
      key: 'b-1',
      source: 'automation',
    });
    await expect(
      issueCoupon(e.ctx, e.workspaceId, {
        templateId: limited.id,
        customerId: ids[0]!,
        key: 'b-2',
        source: 'automation',
      }),
    ).rejects.toThrow(/already has 1 of coupon "生日券"/);
  });

  it('compensation is capped at 50% of the item value', async () => {
    const e = env();
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '售后补偿',
      rules: { kind: 'cash', offFen: 1 },
      validity: { days: 30 },
      compensation: true,
      perCustomerLimit: 5,
    });
    await expect(
      issueCoupon(e.ctx, e.workspaceId, {
        templateId: t.id,
        customerId: ids[1]!,
        key: 'comp-1',
        source: 'compensation',
        valueFen: 6000,
        itemValueFen: 10000,
      }),
    ).rejects.toThrow(/above 50% of the item's value \(¥100.00\): at most ¥50.00/);
    const ok = await issueCoupon(e.ctx, e.workspaceId, {
      templateId: t.id,
      customerId: ids[1]!,
      key: 'comp-2',
      source: 'compensation',
      valueFen: 5000,
      itemValueFen: 10000,
    });
    expect(ok.value_fen).toBe(5000);
  });

  it('issues to a segment once per customer; a second run skips them', async () => {
    const e = env();
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '回头客券',
      rules: {
        kind: 'tiered',
        steps: [
          { minFen: 20000, offFen: 2000 },
          { minFen: 50000, offFen: 8000 },
        ],
      },
      validity: { days: 30 },
    });
    const rule = { field: 'total_spent', op: '>=', value: 8000 };
    const r = await issueToSegment(e.ctx, e.workspaceId, t.id, rule, 'dec');
    expect(r).toEqual({ issued: 10, skipped: 0, erased: 0, stoppedAtStock: false });
    expect(await issueToSegment(e.ctx, e.workspaceId, t.id, rule, 'dec')).toEqual({
      issued: 0,
      skipped: 10,
      erased: 0,
      stoppedAtStock: false,
    });
  });

  it(
    'an imported order inside the validity that meets ' + 'the threshold uses the coupon; reports count revenue',
    async () => {
      const e = env();
      // A holder of 满100减20 and of no other coupon (ids[0] also has a 生日券, ids[1] a compensation coupon).
      const holder = (
        await e.db.kysely
          .selectFrom('coupons as c')
          .innerJoin('coupon_templates as t', (j) =>
            j.onRef('t.workspace_id', '=', 'c.workspace_id').onRef('t.id', '=', 'c.template_id'),
          )
          .select('c.customer_id')
          .where('c.workspace_id', '=', e.workspaceId)
          .where('t.name', '=', '满100减20')
          .where('c.customer_id', 'not in', [ids[0]!, ids[1]!])
          .executeTakeFirstOrThrow()
      ).customer_id;
      const nick = (
        await e.db.kysely
          .selectFrom('customers')
          .select('display_name')
          .where('id', '=', holder)
          .executeTakeFirstOrThrow()
      ).display_name;
      await e.db.kysely.transaction().execute((trx) =>
        ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
          orderRecord({
            externalId: 'small',
            createdAt: '2026-11-25T02:00:00.000Z',
            paidFen: 8000,
            buyer: { nick, externalId: null, email: null, phone: null, name: null },
          }),
          orderRecord({
            externalId: 'big',
            createdAt: '2026-11-26T02:00:00.000Z',
            paidFen: 15000,
            buyer: { nick, externalId: null, email: null, phone: null, name: null },
          }),
        ]),
      );
      expect(await matchCouponUses(e.ctx, e.workspaceId)).toBe(1);
      const mine = await customerCoupons(e.ctx, e.workspaceId, holder);
      const used = mine.find((c) => c.name === '满100减20')!;
      expect(used.status).toBe('used');
      expect(used.discountFen).toBe(2000);
      expect(await matchCouponUses(e.ctx, e.workspaceId)).toBe(0);
      const report = await couponReport(e.ctx, e.workspaceId);
      expect(report.find((r) => r.name === '满100减20')).toMatchObject({
        issued: 10,
        used: 1,
        revenueFen: 15000,
        discountFen: 2000,
      });
      // Every template, with none issued too, and each template's own coupons only.
      const issued = await e.db.kysely
        .selectFrom('coupon_templates as t')
        .select((eb) => [
          't.id',
          eb
            .selectFrom('coupons as c')
            .select((c) => c.fn.countAll<number>().as('n'))
            .whereRef('c.workspace_id', '=', 't.workspace_id')
            .whereRef('c.template_id', '=', 't.id')
            .as('n'),
        ])
        .where('t.workspace_id', '=', e.workspaceId)
        .execute();
      expect(issued.length).toBeGreaterThan(1);
      expect(Object.fromEntries(report.map((r) => [r.id, r.issued]))).toEqual(
        Object.fromEntries(issued.map((r) => [r.id, Number(r.n)])),
      );
    },
  );

  it(
    'an order that carries a coupon code uses that very coupon, ' +
      'even below its threshold; another code uses nothing',
    async () => {
      const e = env();
      const t = await createTemplate(e.ctx, e.workspaceId, {
        name: '直播间专享码',
        rules: { kind: 'spend_off', minFen: 100_000, offFen: 3000 },
        validity: { days: 30 },
      });
      const [a, b] = [ids[30]!, ids[31]!];
      const ca = await issueCoupon(e.ctx, e.workspaceId, {
        templateId: t.id,
        customerId: a,
        key: 'code-a',
        source: 'manual',
      });
      const cb = await issueCoupon(e.ctx, e.workspaceId, {
        templateId: t.id,
        customerId: b,
        key: 'code-b',
        source: 'manual',
      });
      const nickOf = async (id: string) =>
        (
          await e.db.kysely
            .selectFrom('customers')
            .select('display_name')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).display_name;
      const buyer = async (id: string) => ({
        nick: await nickOf(id),
        externalId: null,
        email: null,
        phone: null,
        name: null,
      });
      const records = [
        orderRecord({
          externalId: 'code-1',
          createdAt: '2026-11-24T02:00:00.000Z',
          paidFen: 6000,
          discountFen: 3000,
          couponCode: ` ${ca.code.toLowerCase()} `,
          buyer: await buyer(a),
        }),
        orderRecord({
          externalId: 'code-2',
          createdAt: '2026-11-24T03:00:00.000Z',
          paidFen: 6000,
          couponCode: 'SOMEONE-ELSES',
          buyer: await buyer(b),
        }),
        // b's own code on an order paid before the coupon was issued: it cannot have used it.
        orderRecord({
          externalId: 'code-3',
          createdAt: new Date(Date.parse(cb.issued_at) - 86_400_000).toISOString(),
          paidFen: 6000,
          couponCode: cb.code,
          buyer: await buyer(b),
        }),
      ];
      await e.db.kysely
        .transaction()
        .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
      await matchCouponUses(e.ctx, e.workspaceId);
      const of = async (id: string) =>
        (await customerCoupons(e.ctx, e.workspaceId, id)).find((c) => c.name === '直播间专享码')!;
      expect(await of(a)).toMatchObject({ status: 'used', discountFen: 3000 });
      const timeline = await customerTimeline(e.ctx, e.workspaceId, a);
      expect(
        timeline.filter((x) => x.kind.startsWith('coupon.') && x.title.includes('直播间专享码')).map((x) => x.title),
      ).toEqual(['用券「直播间专享码」 省 ¥30.00', '领券「直播间专享码」']);
      expect((await of(b)).status).toBe('issued');
    },
  );

  it('coupons about to expire are listed for reminders, then closed when they expire', async () => {
    const e = env();
    e.setNow('2026-12-18T04:00:00.000Z');
    const soon = await expiringCoupons(e.ctx, e.workspaceId, 7, 200);
    expect(soon.items.length).toBeGreaterThan(0);
    expect(soon.total).toBe(soon.items.length);
    expect(soon.items.every((c) => c.validTo <= '2026-12-25T04:00:00.000Z')).toBe(true);
    // The soonest first, at most `limit`, the total counting them all.
    const first = await expiringCoupons(e.ctx, e.workspaceId, 7, 1);
    expect(first).toEqual({ items: soon.items.slice(0, 1), total: soon.total });
    e.setNow('2027-01-01T00:00:00.000Z');
    const n = await expireCoupons(e.ctx, e.workspaceId);
    expect(n).toBeGreaterThan(0);
    expect(await expireCoupons(e.ctx, e.workspaceId)).toBe(0);
  });
});
