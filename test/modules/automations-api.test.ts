import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiToken, createUser } from '../../src/modules/auth/service.js';
import { defaultChannel, setMessagingSettings } from '../../src/modules/messaging/service.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases } from '../helpers.js';
import { renderReason } from '../../src/core/reasons.js';
import { createTemplate } from '../../src/modules/coupons/service.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';

describeBothDatabases('automations API: switches, versions, dry run, export/import', (env) => {
  let app: FastifyInstance;
  let token = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    const u = await createUser(ctx, workspaceId, { login: 'ops', password: 'secret-pass-1', role: 'owner' });
    token = (await createApiToken(ctx, workspaceId, u.id, 'ops')).token;
    await defaultChannel(ctx, workspaceId);
    const store = await ensureStore(ctx, workspaceId, '演练店', 'taobao');
    // Three orders of the last 30 days, seen as they happened: one paid after 10 minutes, one after 2 hours,
    // one never paid (each buyer has a phone).
    env().setNow('2026-11-20T02:00:00.000Z');
    const o = (externalId: string, phone: string, paidAt: string | null) => ({
      externalId,
      status: paidAt ? 'paid' : 'created',
      createdAt: '2026-11-20T02:00:00Z',
      paidAt,
      totalFen: 5000,
      buyer: { nick: `买家${externalId}`, phone },
    });
    await ingestOrders(ctx, workspaceId, {
      storeId: store.id,
      orders: [o('P1', '13700000001', null), o('P2', '13700000002', null), o('P3', '13700000003', null)],
    });
    env().setNow('2026-11-20T04:00:00.000Z');
    await ingestOrders(ctx, workspaceId, {
      storeId: store.id,
      orders: [o('P1', '13700000001', '2026-11-20T02:10:00Z'), o('P2', '13700000002', '2026-11-20T04:00:00Z')],
    });
    env().setNow('2026-11-23T04:00:00.000Z');
    app = await buildServer(ctx);
  });
  afterAll(async () => app?.close());

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const r = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: r.statusCode, body: r.body ? r.json() : null };
  };

  it('lists the built-ins as templates, off, until one is switched on', async () => {
    const r = await call('GET', '/automations');
    expect(r.status).toBe(200);
    const names = r.body.items.map((a: { name: string }) => a.name);
    expect(names.slice(0, 3)).toEqual(['催付', '预售尾款提醒', '付款确认']);
    expect(r.body.items.every((a: { enabled: boolean; id: string | null }) => !a.enabled && a.id === null)).toBe(true);
  });

  it('dry run: had 催付 been on, the buyers still unpaid after 30 minutes would have had one SMS each', async () => {
    const r = await call('POST', '/automations/dry-run', { builtin: 'cart_reminder' });
    expect(r.status).toBe(200);
    // P1 paid at 10 minutes (left), P2 at 2 hours and P3 never: two reminders of one SMS part at 5 fen.
    expect(r.body).toMatchObject({ days: 30, triggered: 3, customers: 2, messages: 2, costFen: 10 });
    expect(r.body.exited).toEqual([{ reason: '订单已付款', count: 1, why: expect.any(Object) }]);
    // With its code, so the English console says why in English (it showed 订单已付款 there).
    expect(renderReason(r.body.exited[0].why, 'en')).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('dry run: a second marketing message within the frequency cap is counted as held back, not sent', async () => {
    const { ctx, workspaceId } = env();
    // A marketing SMS needs the shop's signature (without one the dry run counts the messages as blocked).
    await setMessagingSettings(ctx, workspaceId, { smsSignature: '回客旗舰店' });
    await ctx.db.kysely
      .updateTable('customers')
      .set({ marketing_consent: 'granted' })
      .where('workspace_id', '=', workspaceId)
      .execute();
    const definition = {
      name: '两次营销',
      trigger: { type: 'order_event', event: 'created' },
      steps: [
        { id: 'one', type: 'message', medium: 'sms', kind: 'marketing', text: '新品上架' },
        { id: 'later', type: 'wait', days: 1 },
        { id: 'two', type: 'message', medium: 'sms', kind: 'marketing', text: '新品上架，再提醒一次' },
      ],
    };
    const r = await call('POST', '/automations/dry-run', { definition });
    expect(r.status).toBe(200);
    // Three buyers, one message each: the second falls within the cap of one marketing message in 30 days.
    expect(r.body).toMatchObject({ triggered: 3, customers: 3, messages: 3 });
    expect(r.body.skipped).toEqual([{ reason: '触达频次上限', count: 3, code: 'frequency_cap' }]);
    await setMessagingSettings(ctx, workspaceId, { smsSignature: '' });
    await ctx.db.kysely
      .updateTable('customers')
      .set({ marketing_consent: 'unknown' })
      .where('workspace_id', '=', workspaceId)
      .execute();
  });

  it('switch on, edit (a new version), switch off; runs and versions are listed', async () => {
    const on = await call('POST', '/automations', { builtin: 'cart_reminder', enabled: true });
    expect(on.body).toMatchObject({ enabled: true, version: 1, settings: { delayMinutes: 30 } });
    const edited = await call('PUT', `/automations/${on.body.id}`, {
      builtin: 'cart_reminder',
      settings: { delayMinutes: 45 },
    });
    expect(edited.body).toMatchObject({ version: 2, settings: { delayMinutes: 45 } });
    expect(
      (await call('GET', `/automations/${on.body.id}/versions`)).body.items.map((v: { version: number }) => v.version),
    ).toEqual([2, 1]);
    const off = await call('POST', `/automations/${on.body.id}/disable`);
    expect(off.body.enabled).toBe(false);
    expect((await call('GET', `/automations/${on.body.id}/runs`)).body.items).toEqual([]);
    const bad = await call('POST', '/automations', { builtin: 'cart_reminder', settings: { delayMinutes: -1 } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/delayMinutes/);
  });

  it('export and import definitions as JSON; a broken step is refused whole', async () => {
    const custom = await call('POST', '/automations', {
      definition: {
        name: '首单加积分',
        trigger: { type: 'order_event', event: 'paid' },
        conditions: [{ fact: 'customer.paidOrders', op: 'eq', value: 1 }],
        steps: [{ id: 'p', type: 'points', points: 100, reason: '首单' }],
      },
    });
    expect(custom.status).toBe(200);
    const doc = (await call('GET', '/automations/export')).body;
    expect(doc.automations.map((a: { name: string }) => a.name).sort()).toEqual(['催付', '首单加积分']);
    const imported = await call('POST', '/automations/import', {
      ...doc,
      automations: doc.automations.filter((a: { builtin?: string }) => !a.builtin),
    });
    expect(imported.body).toEqual({ imported: 1 });
    const broken = await call('POST', '/automations/import', {
      format: 'huike.automations',
      version: 1,
      automations: [
        {
          definition: {
            name: 'x',
            trigger: { type: 'order_event', event: 'paid' },
            steps: [{ id: 'a', type: 'nope' }],
          },
        },
      ],
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/automations\[0\]/);
  });

  it("names only this shop's segments, channels and coupons; a channel an automation sends on stays", async () => {
    const { ctx, workspaceId } = env();
    const other = await createWorkspace(ctx, '别家店');
    const theirs = {
      channel: (await defaultChannel(ctx, other.id)).id,
      coupon: (
        await createTemplate(ctx, other.id, {
          name: '别家券',
          rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
          validity: { days: 7 },
        })
      ).id,
      segment: (
        await saveSegment(ctx, other.id, { name: '别家人群', rule: { field: 'name', op: 'starts_with', value: 'x' } })
      ).id,
    };
    const count = async () => (await call('GET', '/automations')).body.items.length;
    const before = await count();
    const paid = { type: 'order_event', event: 'paid' };
    const sms = (over: object) => ({
      id: 'm',
      type: 'message',
      medium: 'sms',
      kind: 'care',
      text: '谢谢惠顾',
      ...over,
    });
    const refusals = [
      [{ name: 'a', trigger: paid, steps: [sms({ channelId: theirs.channel })] }, 'channel.notFound'],
      [
        { name: 'b', trigger: paid, steps: [{ id: 'c', type: 'coupon', templateId: theirs.coupon }] },
        'coupon.notFound',
      ],
      [
        { name: 'c', trigger: { type: 'segment_entry', segmentId: theirs.segment }, steps: [sms({})] },
        'segment.notFound',
      ],
      [{ name: 'd', trigger: { type: 'segment_entry', segmentId: 'made-up' }, steps: [sms({})] }, 'segment.notFound'],
    ] as const;
    for (const [definition, key] of refusals) {
      const r = await call('POST', '/automations', { definition });
      expect(r.status, JSON.stringify(definition)).toBe(404);
      expect(r.body.error.reason.key).toBe(key);
    }
    const birthday = await call('POST', '/automations', {
      builtin: 'birthday',
      settings: { couponTemplateId: theirs.coupon },
    });
    expect(birthday.body.error.reason.key).toBe('coupon.notFound');
    const mail = (
      await call('POST', '/messaging/channels', { name: '邮件', kind: 'outbox', config: { medium: 'email' } })
    ).body.id;
    const wrong = await call('POST', '/automations', {
      definition: { name: 'e', trigger: paid, steps: [sms({ channelId: mail })] },
    });
    expect(wrong.status).toBe(400);
    expect(renderReason(wrong.body.error.reason, 'zh-CN')).toBe(
      '步骤「m」选的渠道「邮件」不能发送这一步的消息类型，请换一个渠道',
    );
    // The import checks the same before it saves anything.
    const imported = await call('POST', '/automations/import', {
      format: 'huike.automations',
      version: 1,
      automations: [
        { definition: { name: 'f', trigger: paid, steps: [sms({})] } },
        { definition: { name: 'g', trigger: paid, steps: [{ id: 'c', type: 'coupon', templateId: theirs.coupon }] } },
      ],
    });
    expect(imported.status).toBe(400);
    expect(imported.body.error.reason).toMatchObject({ key: 'automation.itemInvalid', params: { n: 2 } });
    expect(await count()).toBe(before);

    const own = (await call('POST', '/messaging/channels', { name: '短信', kind: 'outbox', config: { medium: 'sms' } }))
      .body.id;
    const ok = await call('POST', '/automations', {
      definition: { name: '付款致谢', trigger: paid, steps: [sms({ channelId: own })] },
    });
    expect(ok.status).toBe(200);
    const del = await call('DELETE', `/messaging/channels/${own}`);
    expect(del.status).toBe(409);
    expect(del.body.error.reason).toEqual({ key: 'channel.usedByAutomation', params: { automation: '付款致谢' } });
    expect((await call('DELETE', `/messaging/channels/${mail}`)).status).toBe(204);
    expect(workspaceId).not.toBe(other.id);
  });

  it('shows the next festival dates from today on, soonest first (none already past)', async () => {
    // Today is 2026-11-23 (Asia/Shanghai): this year's 春节 (02-17) and 双11 (11-11) are past, 元旦 comes next.
    const r = await call('GET', '/automations/holidays?years=2');
    const dates = (name: string) =>
      r.body.items.filter((h: { name: string }) => h.name === name).map((h: { date: string }) => h.date);
    expect(dates('春节')).toEqual(['2027-02-06', '2028-01-26']);
    expect(dates('双11')).toEqual(['2027-11-11', '2028-11-11']);
    expect(dates('元旦')).toEqual(['2027-01-01', '2028-01-01']);
    expect(r.body.items.every((h: { date: string }) => h.date >= '2026-11-23')).toBe(true);
    expect(r.body.items[0]).toEqual({ name: '元旦', year: 2027, date: '2027-01-01' });
  });

  it("counts today in the shop's time zone: at 2026-11-11 16:30 UTC it is already 11-12 in Shanghai", async () => {
    env().setNow('2026-11-11T16:30:00.000Z');
    try {
      const r = await call('GET', '/automations/holidays?years=1');
      expect(r.body.items.find((h: { name: string }) => h.name === '双11').date).toBe('2027-11-11');
    } finally {
      env().setNow('2026-11-23T04:00:00.000Z');
    }
  });

  it("publishes the definition's JSON Schema with every trigger and step kind, for the step editor", async () => {
    const r = await call('GET', '/automations/schema');
    expect(r.status).toBe(200);
    const kinds = (u: { oneOf?: { properties: { type: { const: string } } }[] }) =>
      (u.oneOf ?? []).map((x) => x.properties.type.const);
    expect(kinds(r.body.properties.trigger)).toEqual(expect.arrayContaining(['order_event', 'date', 'schedule']));
    expect(kinds(r.body.properties.steps.items)).toEqual(
      expect.arrayContaining(['wait', 'branch', 'message', 'coupon', 'points', 'tag', 'task']),
    );
  });
});
