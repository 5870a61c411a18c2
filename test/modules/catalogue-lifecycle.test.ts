import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { credit } from '../../src/modules/points/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * Coupon templates and rewards over a seller's working life: paused and resumed, edited, archived out of the list
 * (shown again on request) while what was issued or redeemed stays; an archived reward cannot be redeemed.
 */
describeBothDatabases('coupon templates and rewards: pause, edit, archive (API)', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  let customerId = '';
  beforeAll(async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '目录测试店', 'taobao');
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: '880001',
          createdAt: '2026-10-01T02:00:00.000Z',
          paidFen: 10000,
          buyer: { nick: 'cat_amy', externalId: null, email: null, phone: null, name: null },
        }),
      ]),
    );
    customerId = (
      await e.db.kysely
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .executeTakeFirstOrThrow()
    ).id;
    await credit(e.ctx, e.workspaceId, {
      customerId,
      points: 1000,
      kind: 'earn',
      source: 'grant',
      expiresAt: null,
      key: 'cat-points',
    });
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-cat-') });
    await createUser(e.ctx, e.workspaceId, { login: 'cat_owner', password: 'secret-pass-8', role: 'owner' });
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'cat_owner', password: 'secret-pass-8' },
    });
    cookie = String(r.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await app?.close();
  });

  let n = 0;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
      headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': `cat-${++n}` },
    });
  const template = {
    name: '满100减10',
    rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
    validity: { days: 30 },
    perCustomerLimit: 5,
    totalStock: null,
  };

  it('a template that could never work is refused: tiers the shop lacks, dates already over', async () => {
    const member = (tierKeys: string[]) => ({
      ...template,
      name: `会员券 ${tierKeys.join('+')}`,
      rules: { kind: 'member', tierKeys, minFen: 10000, offFen: 1000 },
    });
    const unknown = await call('POST', '/coupons/templates', member(['gold', 'nope']));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.reason).toMatchObject({ key: 'coupon.tierUnknown', params: { tier: 'nope' } });
    expect((await call('POST', '/coupons/templates', member(['__proto__']))).statusCode).toBe(400);
    const known = await call('POST', '/coupons/templates', member(['gold']));
    expect(known.statusCode, known.body).toBe(201);
    const over = await call('POST', '/coupons/templates', {
      ...template,
      name: '去年的券',
      validity: { from: '2001-01-01T00:00:00+08:00', to: '2001-01-02T00:00:00+08:00' },
    });
    expect(over.statusCode).toBe(400);
    expect(over.json().error.reason.key).toBe('coupon.validityPast');
  });

  it('a template is paused (no issuing), resumed, edited, archived out of the list, listed on request', async () => {
    const created = await call('POST', '/coupons/templates', template);
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ paused: false, archivedAt: null });
    // A value is a compensation template's: on this one it was dropped and the coupon recorded as compensation.
    const valued = await call('POST', `/coupons/templates/${id}/issue`, { customerId, valueFen: 99_999_999 });
    expect(valued.statusCode).toBe(400);
    expect(valued.json().error.reason.key).toBe('coupon.valueNotCompensation');
    const huge = await call('POST', `/coupons/templates/${id}/issue`, {
      customerId,
      valueFen: 4_503_599_627_370_495,
      itemValueFen: Number.MAX_SAFE_INTEGER,
    });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().error.message).toMatch(/valueFen/);
    const issued = await call('POST', `/coupons/templates/${id}/issue`, { customerId });
    expect(issued.statusCode, issued.body).toBe(201);

    expect((await call('POST', `/coupons/templates/${id}/pause`)).json()).toMatchObject({ paused: true });
    const refused = await call('POST', `/coupons/templates/${id}/issue`, { customerId });
    expect(refused.statusCode).toBe(409);
    expect((await call('POST', `/coupons/templates/${id}/resume`)).json()).toMatchObject({ paused: false });

    // Edited: a new name and stock; its rules stay because a coupon is out.
    const edited = await call('PUT', `/coupons/templates/${id}`, {
      ...template,
      name: '满100减10（老客）',
      totalStock: 50,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ name: '满100减10（老客）', totalStock: 50, issued: 1 });

    expect((await call('DELETE', `/coupons/templates/${id}`)).statusCode).toBe(204);
    const listed = (await call('GET', '/coupons/templates')).json().items as { id: string }[];
    expect(listed.map((t) => t.id)).not.toContain(id);
    const all = (await call('GET', '/coupons/templates?archived=true')).json().items as {
      id: string;
      archivedAt: string | null;
    }[];
    expect(all.find((t) => t.id === id)?.archivedAt).toEqual(expect.any(String));
    // History stays: the coupon is the customer's, and the report keeps the template's line.
    const coupons = (await call('GET', `/customers/${customerId}/coupons`)).json().items as { name: string }[];
    expect(coupons.map((c) => c.name)).toEqual(['满100减10（老客）']);
    const report = (await call('GET', '/coupons/report')).json().items as { id: string; issued: number }[];
    expect(report.find((r) => r.id === id)).toMatchObject({ issued: 1 });
    // Archived is final: no issuing, pausing or editing.
    expect((await call('POST', `/coupons/templates/${id}/issue`, { customerId })).statusCode).toBe(409);
    expect((await call('POST', `/coupons/templates/${id}/resume`)).statusCode).toBe(404);
  });

  it('a reward is edited (not its kind), archived, refused to redeem; its redemption stays', async () => {
    const created = await call('POST', '/points/rewards', { name: '帆布袋', kind: 'gift', pointsCost: 200, stock: 10 });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const first = await call('POST', `/points/rewards/${id}/redeem`, { customerId });
    expect(first.statusCode, first.body).toBe(201);

    const edited = await call('PUT', `/points/rewards/${id}`, {
      name: '帆布托特包',
      kind: 'gift',
      pointsCost: 300,
      stock: 5,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ name: '帆布托特包', pointsCost: 300, stock: 5, archivedAt: null });
    const kind = await call('PUT', `/points/rewards/${id}`, {
      name: '帆布托特包',
      kind: 'cash_voucher',
      pointsCost: 300,
      couponTemplateId: 'x',
    });
    expect(kind.statusCode).toBe(400);

    expect((await call('DELETE', `/points/rewards/${id}`)).statusCode).toBe(204);
    const listed = (await call('GET', '/points/rewards')).json().items as { id: string }[];
    expect(listed.map((r) => r.id)).not.toContain(id);
    const all = (await call('GET', '/points/rewards?archived=true')).json().items as {
      id: string;
      archivedAt: string | null;
    }[];
    expect(all.find((r) => r.id === id)?.archivedAt).toEqual(expect.any(String));
    const again = await call('POST', `/points/rewards/${id}/redeem`, { customerId });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/archived/);
    expect((await call('PUT', `/points/rewards/${id}`, { name: 'x', kind: 'gift', pointsCost: 1 })).statusCode).toBe(
      404,
    );
    // The redemption made before stays and can still be voided (its points come back).
    const voided = await call('POST', `/points/redemptions/${first.json().id}/void`);
    expect(voided.statusCode, voided.body).toBe(200);
    const balance = (await call('GET', `/customers/${customerId}/points`)).json().summary;
    expect(balance.spendable).toBe(1000);
  });
});
