import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assignGroups, CONTROL } from '../../src/core/messaging/assign.js';
import { localDate } from '../../src/core/time.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import { drawCampaign } from '../../src/modules/campaigns/draw.js';
import { planCampaign } from '../../src/modules/campaigns/service.js';
import { recordBatch, setMessagingSettings } from '../../src/modules/messaging/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { seedCustomers, sendAll } from '../support/messaging.js';
import { orderRecord } from '../support/records.js';

// 10:00 in Shanghai, inside the 09:30–12:00 window.
const MORNING = '2026-11-23T02:00:00.000Z';

describeBothDatabases('campaigns', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  let outbox = '';
  const ids: Record<string, string> = {};
  const segments: Record<string, string> = {};

  const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { 'x-huike-client': 'test', cookie },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return {
      status: res.statusCode,
      body: String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body,
    };
  };
  const segmentOf = async (e: TestEnv, prefix: string) =>
    (
      await saveSegment(e.ctx, e.workspaceId, {
        name: `人群 ${prefix}`,
        rule: { field: 'name', op: 'starts_with', value: prefix },
      })
    ).id;
  const worker = () => createWorker(env().ctx, { handlers: jobHandlers });
  const draft = (over: Record<string, unknown>) => ({
    name: '会员日',
    channelId: outbox,
    variants: [{ key: 'A', content: { text: '#客户昵称#，会员日 8 折' } }],
    holdoutPct: 0,
    ...over,
  });

  beforeAll(async () => {
    const e = env();
    e.setNow(MORNING);
    await createUser(e.ctx, e.workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-camp-') });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'secret-pass-1' },
    });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
    const ch = await api('POST', '/messaging/channels', { name: '发件箱', kind: 'outbox', config: { medium: 'sms' } });
    expect(ch.status).toBe(201);
    outbox = ch.body.id;
    // A name that shows nothing is none (a zero-width space was taken as a channel's name).
    const blank = await api('POST', '/messaging/channels', {
      name: '\u200b',
      kind: 'outbox',
      config: { medium: 'sms' },
    });
    expect(blank.status).toBe(400);
    expect(JSON.stringify(blank.body)).toContain('input.blank');

    // One customer per rule, and five who pass every rule.
    const rule = await seedCustomers(e, [
      ...Array.from({ length: 5 }, (_, i) => ({ nick: `rule-ok${i}`, phone: `1370000000${i}` })),
      { nick: 'rule-twin', phone: '13700000090' },
      { nick: 'rule-masked', phone: '13700000091' },
      { nick: 'rule-unknown', phone: '13700000092', consent: null },
      { nick: 'rule-denied', phone: '13700000093', consent: false },
      { nick: 'rule-black', phone: '13700000094' },
      { nick: 'rule-bad', phone: '13700000095' },
      { nick: 'rule-picky', phone: '13700000096' },
      { nick: 'rule-optout', phone: '13700000097' },
      { nick: 'rule-capped', phone: '13700000098' },
    ]);
    Object.assign(ids, rule);
    const set = (nick: string, v: Record<string, unknown>) =>
      e.db.kysely
        .updateTable('customers')
        .set(v)
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', ids[nick]!)
        .execute();
    await set('rule-twin', { phone: '13700000000' });
    await set('rule-masked', { phone: '137****0091' });
    await set('rule-black', { is_blacklisted: 1 });
    await set('rule-bad', { is_bad_reviewer: 1 });
    await set('rule-picky', { is_picky: 1 });
    await set('rule-optout', { opt_out_sms: 1 });
    await recordBatch(e.ctx, e.workspaceId, {
      sourceType: 'automation',
      sourceId: 'earlier',
      step: 'main',
      kind: 'marketing',
      channelId: outbox,
      customerIds: [ids['rule-capped']!],
      variants: [{ key: null, content: { text: '上新' } }],
      variantOf: () => 0,
      linkUrl: null,
      budgetFen: null,
      state: { seen: new Set(), spentFen: 0 },
      dry: false,
    });
    segments.rule = await segmentOf(e, 'rule-');
    Object.assign(
      ids,
      await seedCustomers(
        e,
        Array.from({ length: 41 }, (_, i) => ({ nick: `ab-${i}`, phone: `1360000${String(i).padStart(4, '0')}` })),
      ),
    );
    segments.ab = await segmentOf(e, 'ab-');
    Object.assign(
      ids,
      await seedCustomers(
        e,
        Array.from({ length: 40 }, (_, i) => ({
          nick: `at-${i}`,
          phone: `1350000${String(i).padStart(4, '0')}`,
          paidAt: '2026-06-01T02:00:00.000Z',
        })),
      ),
    );
    segments.at = await segmentOf(e, 'at-');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a dry run counts who would receive it and how many each rule holds back, and queues nothing', async () => {
    const e = env();
    const c = await api('POST', '/campaigns', draft({ segmentId: segments.rule }));
    expect(c.status).toBe(201);
    const run = await api('POST', `/campaigns/${c.body.id}/dry-run`);
    expect(run.status).toBe(200);
    expect(run.body).toEqual({
      opensAt: null,
      localLinks: null,
      audience: 14,
      control: 0,
      treated: 14,
      variants: { A: 14 },
      variantsReceiving: { A: 5 },
      wouldReceive: 5,
      deferred: 0,
      heldBack: {
        duplicate_contact: 1,
        masked_contact: 1,
        no_consent: 1,
        consent_denied: 1,
        blacklisted: 1,
        bad_reviewer: 1,
        picky: 1,
        opted_out: 1,
        frequency_cap: 1,
      },
      // 【回客旗舰店】rule-ok0，会员日 8 折 拒收请回复R: 31 characters, one part at 5 fen
      parts: 5,
      costFen: 25,
    });
    const queued = await e.db.kysely.selectFrom('messages').select('id').where('source_id', '=', c.body.id).execute();
    expect(queued).toEqual([]);
  });

  it('the unknown-consent policy, the budget and the send window change the dry run', async () => {
    const e = env();
    const c = (await api('POST', '/campaigns', draft({ segmentId: segments.rule, budgetFen: 15 }))).body;
    const budget = (await api('POST', `/campaigns/${c.id}/dry-run`)).body;
    expect(budget.wouldReceive).toBe(3);
    expect(budget.heldBack.budget).toBe(2);
    expect(budget.costFen).toBe(15);

    const free = (await api('POST', '/campaigns', draft({ segmentId: segments.rule }))).body;
    const s = await api('PUT', '/messaging/settings', { acceptUnknownConsent: true });
    // The default public address is this machine's: said first.
    expect(s.body.warnings[0]).toMatch(/127\.0\.0\.1:3000/);
    expect(s.body.warningReasons[0]).toEqual({
      key: 'messaging.localPublicUrl',
      params: { url: 'http://127.0.0.1:3000' },
    });
    expect(s.body.warnings[1]).toMatch(/unknown/);
    expect(s.body.warningReasons[1]).toEqual({ key: 'messaging.unknownConsent', params: { days: expect.any(Number) } });
    const lenient = (await api('POST', `/campaigns/${free.id}/dry-run`)).body;
    expect(lenient.wouldReceive).toBe(6);
    expect(lenient.heldBack.no_consent).toBeUndefined();
    await api('PUT', '/messaging/settings', { acceptUnknownConsent: false });

    e.setNow('2026-11-23T05:00:00.000Z'); // 13:00 local: between windows
    const later = (await api('POST', `/campaigns/${free.id}/dry-run`)).body;
    expect(later.wouldReceive).toBe(5);
    expect(later.deferred).toBe(5);
    expect(later.opensAt).toBe('2026-11-23T06:00:00.000Z'); // 14:00 local
    e.setNow(MORNING);
    // A link in the messages pointing at this machine is said, until the shop gives an address customers reach.
    const linked = (
      await api('POST', '/campaigns', draft({ segmentId: segments.rule, linkUrl: 'https://shop.example.cn' }))
    ).body;
    expect((await api('POST', `/campaigns/${linked.id}/dry-run`)).body.localLinks).toBe('http://127.0.0.1:3000');
    const open = await api('PUT', '/messaging/settings', { publicUrl: 'https://crm.example.cn' });
    expect(open.body.warningReasons).toEqual([]);
    expect((await api('POST', `/campaigns/${linked.id}/dry-run`)).body.localLinks).toBeNull();
    await api('PUT', '/messaging/settings', { publicUrl: 'http://127.0.0.1:3000' });
  });

  it('launch draws exact control and A/B sizes from the stored seed, and sends each recipient once', async () => {
    const e = env();
    const c = (
      await api(
        'POST',
        '/campaigns',
        draft({
          segmentId: segments.ab,
          holdoutPct: 20,
          seed: 'seed-ab',
          variants: [
            { key: 'A', weight: 1, content: { text: '#客户昵称#，A 方案' } },
            { key: 'B', weight: 1, content: { text: '#客户昵称#，B 方案' } },
          ],
        }),
      )
    ).body;
    const dry = (await api('POST', `/campaigns/${c.id}/dry-run`)).body;
    expect(dry).toMatchObject({
      audience: 41,
      control: 8,
      treated: 33,
      variants: { A: 17, B: 16 },
      variantsReceiving: { A: 17, B: 16 },
      wouldReceive: 33,
    });
    const jobsOf = async (kind: string) =>
      (
        await e.db.kysely
          .selectFrom('jobs')
          .select('id')
          .where('workspace_id', '=', e.workspaceId)
          .where('kind', '=', kind)
          .execute()
      ).length;
    const sendJobsBefore = await jobsOf('message.send');
    const launched = await api('POST', `/campaigns/${c.id}/launch`);
    expect(launched.body).toMatchObject({ status: 'running' });
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(409);
    // A worker that dies mid-plan and a second one taking over: the plan runs twice, in parallel.
    await Promise.all([planCampaign(e.ctx, e.workspaceId, c.id), planCampaign(e.ctx, e.workspaceId, c.id)]);
    await sendAll(e, worker(), c.id);
    const recipients = await e.db.kysely
      .selectFrom('campaign_recipients')
      .select(['customer_id', 'grp'])
      .where('workspace_id', '=', e.workspaceId)
      .where('campaign_id', '=', c.id)
      .execute();
    const again = assignGroups(
      recipients.map((r) => r.customer_id),
      {
        seed: 'seed-ab',
        holdoutPct: 20,
        variants: [
          { key: 'A', weight: 1 },
          { key: 'B', weight: 1 },
        ],
      },
    );
    expect(recipients.every((r) => again.get(r.customer_id) === r.grp)).toBe(true);
    const msgs = await e.db.kysely
      .selectFrom('messages')
      .select(['customer_id', 'status', 'variant', 'body'])
      .where('workspace_id', '=', e.workspaceId)
      .where('source_id', '=', c.id)
      .execute();
    expect(msgs).toHaveLength(33);
    expect(new Set(msgs.map((m) => m.customer_id)).size).toBe(33);
    const control = new Set(recipients.filter((r) => r.grp === CONTROL).map((r) => r.customer_id));
    expect(msgs.some((m) => control.has(m.customer_id))).toBe(false);
    expect(msgs.every((m) => m.status === 'sent')).toBe(true);
    expect(msgs.filter((m) => m.variant === 'B').every((m) => m.body?.includes('B 方案'))).toBe(true);
    // Delivered in batches by the campaign's delivery chain, not one job per message.
    expect(await jobsOf('message.send')).toBe(sendJobsBefore);
    expect(await jobsOf('campaign.deliver')).toBeGreaterThanOrEqual(1);
    expect(await jobsOf('campaign.deliver')).toBeLessThan(5);
    const report = (await api('GET', `/campaigns/${c.id}/report`)).body;
    expect(report).toMatchObject({
      status: 'done',
      audience: 41,
      control: 8,
      targeted: 33,
      sent: 33,
      failed: 0,
      heldBack: {},
      costFen: 33 * 5,
      variants: [
        { key: 'A', targeted: 17, sent: 17 },
        { key: 'B', targeted: 16, sent: 16 },
      ],
    });
    // The 30-day cap counts across campaigns: a second campaign to the same people holds them all.
    const second = (await api('POST', '/campaigns', draft({ segmentId: segments.ab }))).body;
    const dry2 = (await api('POST', `/campaigns/${second.id}/dry-run`)).body;
    expect(dry2.heldBack).toEqual({ frequency_cap: 33 });
    expect(dry2.wouldReceive).toBe(8); // the first campaign's control group
    // Per variant: all 41 drawn into A, of whom the 8 not capped would receive it.
    expect(dry2).toMatchObject({ treated: 41, variants: { A: 41 }, variantsReceiving: { A: 8 } });
  });

  it('pause holds queued messages, resume sends them, cancel drops them', async () => {
    const e = env();
    e.setNow('2026-11-23T05:00:00.000Z'); // 13:00: every message waits for 14:00
    const nicks = await seedCustomers(
      e,
      Array.from({ length: 6 }, (_, i) => ({ nick: `pz-${i}`, phone: `1340000000${i}` })),
    );
    const seg = await segmentOf(e, 'pz-');
    const c = (await api('POST', '/campaigns', draft({ segmentId: seg }))).body;
    await api('POST', `/campaigns/${c.id}/launch`);
    const w = worker();
    await w.drain();
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({
      queued: 6,
      deferred: 6,
      nextSendAt: '2026-11-23T06:00:00.000Z',
      sent: 0,
    });
    // No hold-out: no attribution, but six customers were treated — 营销效果 said 实验组人数 0.
    expect((await api('GET', `/campaigns/${c.id}/attribution`)).body).toMatchObject({
      overall: null,
      treated: 6,
      control: 0,
    });
    const effects = (await api('GET', '/analytics/effects?from=2026-11-23&to=2026-11-23')).body;
    expect(effects.campaigns.find((x: { id: string }) => x.id === c.id)).toMatchObject({
      treated: 6,
      control: 0,
      conversionLift: null,
    });
    expect((await api('POST', `/campaigns/${c.id}/pause`)).body.status).toBe('paused');
    e.setNow('2026-11-23T06:05:00.000Z'); // 14:05
    await w.drain();
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({ queued: 6, sent: 0 });
    expect((await api('POST', `/campaigns/${c.id}/resume`)).body.status).toBe('running');
    await w.drain();
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({ status: 'done', queued: 0, sent: 6 });

    await setMessagingSettings(e.ctx, e.workspaceId, { capCount: 5 });
    const c2 = (await api('POST', '/campaigns', draft({ segmentId: seg }))).body;
    e.setNow('2026-11-23T05:00:00.000Z');
    await api('POST', `/campaigns/${c2.id}/launch`);
    await w.drain();
    expect((await api('POST', `/campaigns/${c2.id}/cancel`)).body.status).toBe('cancelled');
    e.setNow('2026-11-23T06:05:00.000Z');
    await w.drain();
    expect((await api('GET', `/campaigns/${c2.id}/report`)).body).toMatchObject({ cancelled: 6, sent: 0 });
    await setMessagingSettings(e.ctx, e.workspaceId, { capCount: 1 });
    expect(Object.keys(nicks)).toHaveLength(6);
    e.setNow(MORNING);
  });

  it('attribution compares recipients with the control over N days, as computed by hand', async () => {
    const e = env();
    const c = (await api('POST', '/campaigns', draft({ segmentId: segments.at, holdoutPct: 25, seed: 'attr' }))).body;
    await api('POST', `/campaigns/${c.id}/launch`);
    await sendAll(e, worker(), c.id);
    const recipients = await e.db.kysely
      .selectFrom('campaign_recipients')
      .select(['customer_id', 'grp'])
      .where('workspace_id', '=', e.workspaceId)
      .where('campaign_id', '=', c.id)
      .orderBy('customer_id')
      .execute();
    const treated = recipients.filter((r) => r.grp !== CONTROL).map((r) => r.customer_id);
    const control = recipients.filter((r) => r.grp === CONTROL).map((r) => r.customer_id);
    expect([treated.length, control.length]).toEqual([30, 10]);
    const nickOf = new Map(Object.entries(ids).map(([n, id]) => [id, n]));
    const store = await ensureStore(e.ctx, e.workspaceId, '回客旗舰店', 'tmall');
    let n = 0;
    const order = (customerId: string, paidAt: string, paidFen: number, refunded = false) =>
      orderRecord({
        externalId: `attr-${n++}`,
        createdAt: paidAt,
        paidFen,
        status: refunded ? 'refunded' : 'completed',
        refundedFen: refunded ? paidFen : 0,
        buyer: { nick: nickOf.get(customerId)!, externalId: null, email: null, phone: null, name: null },
      });
    const within = '2026-11-25T02:00:00.000Z';
    const records = [
      // Treated: 6 of 30 buy one ¥100 order within 7 days.
      ...treated.slice(0, 6).map((id) => order(id, within, 10000)),
      // Not counted: before launch, after the 7 days, fully refunded.
      order(treated[6]!, '2026-11-20T02:00:00.000Z', 10000),
      order(treated[7]!, '2026-12-01T02:00:00.000Z', 10000),
      order(treated[8]!, within, 10000, true),
      // Control: 1 of 10 buys one ¥100 order.
      order(control[0]!, within, 10000),
    ];
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    const a = (await api('GET', `/campaigns/${c.id}/attribution`)).body;
    expect(a.days).toBe(7);
    expect(a.overall.treated).toEqual({ customers: 30, conversion: 0.2, orders: 6, revenueFen: 60000 });
    expect(a.overall.control).toEqual({ customers: 10, conversion: 0.1, orders: 1, revenueFen: 10000 });
    // se = √(0.2·0.8/30 + 0.1·0.9/10) = √0.0143333 = 0.119722; ±1.959964·se = ±0.234651
    expect(a.overall.conversionLift.value).toBeCloseTo(0.1, 10);
    expect(a.overall.conversionLift.low).toBeCloseTo(-0.134651, 5);
    expect(a.overall.conversionLift.high).toBeCloseTo(0.334651, 5);
    expect(a.overall.relativeLift).toBeCloseTo(1, 10);
    expect(a.overall.incrementalConversions.value).toBeCloseTo(3, 10);
    expect(a.overall.incrementalOrders.value).toBeCloseTo(3, 10);
    // ¥20 per treated customer against ¥10 per control customer, × 30 recipients = ¥300.
    expect(a.overall.incrementalRevenueFen.value).toBeCloseTo(30000, 6);
    // Cost: 30 one-part SMS at 5 fen = 150 fen; ROI = 30000 / 150.
    expect(a.costFen).toBe(150);
    expect(a.roi).toBeCloseTo(200, 8);
    // Over 14 days the late order counts too.
    const wide = (await api('GET', `/campaigns/${c.id}/attribution?days=14`)).body;
    expect(wide.overall.treated.orders).toBe(7);
    // 数据分析 → 营销效果 shows the campaign of its launch day with the same figures.
    const launched = (await api('GET', `/campaigns/${c.id}`)).body.launchedAt as string;
    const day = localDate(launched, 'Asia/Shanghai');
    const view = (await api('GET', `/analytics/effects?from=${day}&to=${day}`)).body;
    expect(view.campaigns.find((x: { id: string }) => x.id === c.id)).toEqual({
      id: c.id,
      name: c.name,
      launchedAt: launched,
      treated: 30,
      control: 10,
      treatedConversion: 0.2,
      controlConversion: 0.1,
      conversionLift: expect.closeTo(0.1, 10),
      incrementalRevenueFen: 30000,
      // The report's intervals too: the lift's spans 0 (not significant), as 营销效果 must say.
      conversionLiftRange: { low: expect.closeTo(-0.134651, 5), high: expect.closeTo(0.334651, 5) },
      incrementalRevenueRangeFen: {
        low: Math.round(a.overall.incrementalRevenueFen.low),
        high: Math.round(a.overall.incrementalRevenueFen.high),
      },
      costFen: 150,
      roi: expect.closeTo(200, 8),
    });
  });

  it('an email campaign is launched only with a subject in every variant (a draft may be saved without)', async () => {
    const e = env();
    const mail = (
      await api('POST', '/messaging/channels', { name: '邮件发件箱', kind: 'outbox', config: { medium: 'email' } })
    ).body;
    await seedCustomers(e, [{ nick: 'em-1' }]);
    const seg = await segmentOf(e, 'em-');
    const variants = [
      { key: 'A', content: { text: '会员日 8 折', subject: '会员日' } },
      { key: 'B', content: { text: '会员日 8 折', subject: ' ' } },
    ];
    const c = (await api('POST', '/campaigns', draft({ segmentId: seg, channelId: mail.id, variants }))).body;
    const refused = await api('POST', `/campaigns/${c.id}/launch`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.reason).toEqual({ key: 'campaign.emailSubject', params: { variant: 'B' } });
    expect((await api('GET', `/campaigns/${c.id}`)).body.status).toBe('draft');
    variants[1]!.content.subject = '会员日到了';
    expect(
      (await api('PUT', `/campaigns/${c.id}`, draft({ segmentId: seg, channelId: mail.id, variants }))).status,
    ).toBe(200);
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
  });

  it('the platform hand-off writes buyer nicks and order ids per store, and counts as sent', async () => {
    const e = env();
    const ch = (await api('POST', '/messaging/channels', { name: '千牛', kind: 'platform' })).body;
    expect(ch).toMatchObject({ kind: 'platform', medium: 'platform', hasCredentials: false });
    const nicks = await seedCustomers(e, [{ nick: 'hd-1' }, { nick: 'hd-2' }]);
    const seg = await segmentOf(e, 'hd-');
    const c = (await api('POST', '/campaigns', draft({ segmentId: seg, channelId: ch.id }))).body;
    const dry = (await api('POST', `/campaigns/${c.id}/dry-run`)).body;
    expect(dry).toMatchObject({ wouldReceive: 2, parts: 0, costFen: 0 });
    await api('POST', `/campaigns/${c.id}/launch`);
    await sendAll(e, worker(), c.id);
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({ sent: 2, status: 'done' });
    const csv = await app.inject({
      method: 'GET',
      url: `/api/v1/campaigns/${c.id}/handoff.csv`,
      headers: { 'x-huike-client': 'test', cookie },
    });
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe('店铺,平台,买家昵称,订单号,客户ID,消息内容');
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',').slice(0, 3).join(','))
        .sort(),
    ).toEqual(['回客旗舰店,tmall,hd-1', '回客旗舰店,tmall,hd-2']);
    expect(lines.slice(1).every((l) => l.includes(nicks['hd-1']!) || l.includes(nicks['hd-2']!))).toBe(true);
    // The same list as a workbook, one sheet named after the campaign.
    const xlsx = await app.inject({
      method: 'GET',
      url: `/api/v1/campaigns/${c.id}/handoff.xlsx`,
      headers: { 'x-huike-client': 'test', cookie },
    });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-disposition']).toContain(encodeURIComponent(`${c.name}-平台名单`));
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.name).toBe(c.name);
    const cells = (n: number) => (sheet.getRow(n).values as unknown[]).slice(1).map(String);
    expect(cells(1)).toEqual(['店铺', '平台', '买家昵称', '订单号', '客户ID', '消息内容']);
    expect([cells(2).slice(0, 3).join(','), cells(3).slice(0, 3).join(',')].sort()).toEqual(
      lines
        .slice(1)
        .map((l) => l.split(',').slice(0, 3).join(','))
        .sort(),
    );
  });

  it('previews one customer: the filled-in text, SMS parts and cost, and why it would be held', async () => {
    const p = await api('POST', '/messaging/preview', {
      channelId: outbox,
      kind: 'marketing',
      customerId: ids['rule-ok1'],
      content: { text: '#客户昵称#，您在#店铺名#的会员权益已更新' },
    });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      text: '【回客旗舰店】rule-ok1，您在回客旗舰店的会员权益已更新 拒收请回复R',
      missing: [],
      parts: 1,
      costFen: 5,
      decision: { action: 'send' },
    });
    const held = await api('POST', '/messaging/preview', {
      channelId: outbox,
      kind: 'marketing',
      customerId: ids['rule-black'],
      content: { text: '#姓名#您好，#店铺名#会员日' },
    });
    expect(held.body).toMatchObject({
      // The name this customer lacks stays as the variable, the shop's name is filled in.
      text: '【回客旗舰店】#姓名#您好，回客旗舰店会员日 拒收请回复R',
      missing: ['姓名'],
      decision: { action: 'skip', reason: 'blacklisted', reasonLabel: '黑名单' },
    });
    const test = await api('POST', `/messaging/channels/${outbox}/test`, { to: '13800000000', text: '测试' });
    expect(test.body).toEqual({ ok: true, ref: 'outbox' });
  });

  it('validates campaigns with clear errors and keeps every route behind the login', async () => {
    const bad = await api(
      'POST',
      '/campaigns',
      draft({ segmentId: segments.rule, variants: [{ key: 'A', content: { text: '#昵称# 你好' } }] }),
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/unknown variable #昵称#/);
    const noLink = await api(
      'POST',
      '/campaigns',
      draft({ segmentId: segments.rule, variants: [{ key: 'A', content: { text: '看看 #链接#' } }] }),
    );
    expect(noLink.status).toBe(400);
    expect(JSON.stringify(noLink.body)).toMatch(/linkUrl/);
    // Variant keys are counted by name in plain objects: one that objects already have lost its count (__proto__)
    // or broke the dry run (constructor: 500).
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const odd = await api(
        'POST',
        '/campaigns',
        draft({
          segmentId: segments.rule,
          variants: [
            { key, content: { text: '你好' } },
            { key: 'B', content: { text: '您好' } },
          ],
        }),
      );
      expect(odd.status, key).toBe(400);
      expect(JSON.stringify(odd.body)).toMatch(/JavaScript objects already have/);
    }
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/campaigns' });
    expect(anonymous.statusCode).toBe(401);
    const anonymousMsgs = await app.inject({ method: 'GET', url: '/api/v1/messages' });
    expect(anonymousMsgs.statusCode).toBe(401);
    // Channels (credentials) and send rules are for owners and admins.
    const e = env();
    await createUser(e.ctx, e.workspaceId, { login: 'mkt', password: 'secret-pass-3', role: 'marketer' });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'mkt', password: 'secret-pass-3' },
    });
    const mkt = String(login.headers['set-cookie']).split(';')[0]!;
    const denied = await app.inject({
      method: 'PUT',
      url: '/api/v1/messaging/settings',
      headers: { 'x-huike-client': 'test', cookie: mkt },
      payload: { capCount: 9 },
    });
    expect(denied.statusCode).toBe(403);
    const allowed = await app.inject({
      method: 'GET',
      url: '/api/v1/campaigns',
      headers: { 'x-huike-client': 'test', cookie: mkt },
    });
    expect(allowed.statusCode).toBe(200);
  });

  it('the launch request draws nothing: the worker freezes and draws once, like assignGroups', async () => {
    const e = env();
    await seedCustomers(
      e,
      Array.from({ length: 30 }, (_, i) => ({ nick: `dr-${i}`, phone: `1330000${String(i).padStart(4, '0')}` })),
    );
    const seg = await segmentOf(e, 'dr-');
    const variants = [
      { key: 'A', weight: 1, content: { text: '#客户昵称#，A 方案' } },
      { key: 'B', weight: 2, content: { text: '#客户昵称#，B 方案' } },
    ];
    const c = (await api('POST', '/campaigns', draft({ segmentId: seg, holdoutPct: 10, seed: 'seed-dr', variants })))
      .body;
    const k = e.db.kysely;
    const recipients = () =>
      k
        .selectFrom('campaign_recipients')
        .select(['customer_id', 'grp'])
        .where('workspace_id', '=', e.workspaceId)
        .where('campaign_id', '=', c.id)
        .orderBy('customer_id')
        .execute();
    const snapshots = () =>
      k
        .selectFrom('segment_snapshots')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .where('purpose', '=', `campaign:${c.id}`)
        .execute();
    const launched = await api('POST', `/campaigns/${c.id}/launch`);
    expect(launched.status).toBe(200);
    expect(launched.body).toMatchObject({ status: 'running', snapshotId: null });
    expect(await recipients()).toEqual([]);
    expect(await snapshots()).toEqual([]);
    // Until the worker has frozen the audience, the segment cannot be deleted from under it.
    const del = await api('DELETE', `/segments/${seg}`);
    expect(del.status).toBe(409);
    expect(del.body.error.reason).toMatchObject({ key: 'segment.campaignPreparing' });
    // Launched, not drawn yet: the report says so with zeros (the console polls until it is planned).
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({
      status: 'running',
      audience: 0,
      targeted: 0,
    });
    await worker().drain();
    const drawn = await recipients();
    const snapshotId = (await api('GET', `/campaigns/${c.id}`)).body.snapshotId as string;
    expect(await snapshots()).toEqual([{ id: snapshotId }]);
    const members = (
      await k
        .selectFrom('segment_snapshot_members')
        .select('customer_id')
        .where('workspace_id', '=', e.workspaceId)
        .where('snapshot_id', '=', snapshotId)
        .orderBy('customer_id')
        .execute()
    ).map((m) => m.customer_id);
    expect(members).toHaveLength(30);
    const groups = assignGroups(members, { seed: 'seed-dr', holdoutPct: 10, variants });
    expect(drawn).toEqual(members.map((id) => ({ customer_id: id, grp: groups.get(id) })));
    expect(drawn.filter((r) => r.grp === CONTROL)).toHaveLength(3);
    // The job run again (a retry after a crash, a lease taken over, side by side): nothing is drawn twice.
    await Promise.all([drawCampaign(e.ctx, e.workspaceId, c.id), planCampaign(e.ctx, e.workspaceId, c.id)]);
    await drawCampaign(e.ctx, e.workspaceId, c.id);
    expect(await recipients()).toEqual(drawn);
    expect(await snapshots()).toEqual([{ id: snapshotId }]);
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({ audience: 30, control: 3 });
    // Frozen: the segment may go now, the campaign keeps its snapshot.
    expect((await api('DELETE', `/segments/${seg}`)).status).toBeLessThan(300);
    expect((await api('GET', `/campaigns/${c.id}/report`)).body).toMatchObject({ audience: 30 });
  });
});
