import type { FastifyInstance } from 'fastify';
import { beforeAll, afterAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import { planCampaign } from '../../src/modules/campaigns/plan.js';
import { dryRun } from '../../src/modules/campaigns/service.js';
import { unmatchedCsv } from '../../src/modules/campaigns/audiences.js';
import { archiveTemplate, createTemplate, pauseTemplate } from '../../src/modules/coupons/service.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { handleReply, setMessagingSettings } from '../../src/modules/messaging/service.js';
import { recomputeRfm } from '../../src/modules/segments/rfm.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { loggedDatabase } from '../support/plans.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { seedCustomers, sendAll } from '../support/messaging.js';

// 10:00 in Shanghai, inside the 09:30–12:00 window.
const MORNING = '2026-11-23T02:00:00.000Z';

describeBothDatabases('campaigns: coupons, schedule, throttle, test send, audiences, compare, merge', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  let outbox = '';
  let ids: Record<string, string> = {};

  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers = {}) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { 'x-huike-client': 'test', cookie, ...headers },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return {
      status: res.statusCode,
      body: String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body,
    };
  };
  const saved = new Map<string, string>();
  const segmentOf = async (e: TestEnv, prefix: string) => {
    if (!saved.has(prefix))
      saved.set(
        prefix,
        (
          await saveSegment(e.ctx, e.workspaceId, {
            name: `人群 ${prefix}`,
            rule: { field: 'name', op: 'starts_with', value: prefix },
          })
        ).id,
      );
    return saved.get(prefix)!;
  };
  const worker = () => createWorker(env().ctx, { handlers: jobHandlers });
  const draft = (over: Record<string, unknown>) => ({
    name: '会员日',
    channelId: outbox,
    variants: [{ key: 'A', content: { text: '#客户昵称#，会员日 8 折' } }],
    holdoutPct: 0,
    ...over,
  });
  const messagesOf = (e: TestEnv, campaignId: string) =>
    e.db.kysely
      .selectFrom('messages')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('source_id', '=', campaignId)
      .orderBy('customer_id')
      .execute();

  beforeAll(async () => {
    const e = env();
    e.setNow(MORNING);
    await createUser(e.ctx, e.workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    await createUser(e.ctx, e.workspaceId, { login: '13912345678', password: 'secret-pass-2', role: 'marketer' });
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-camp2-') });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'secret-pass-1' },
    });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
    outbox = (await api('POST', '/messaging/channels', { name: '发件箱', kind: 'outbox', config: { medium: 'sms' } }))
      .body.id;
    ids = await seedCustomers(e, [
      ...Array.from({ length: 5 }, (_, i) => ({ nick: `cp-${i}`, phone: `1360000000${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ nick: `sc-${i}`, phone: `1360000010${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ nick: `th-${i}`, phone: `1360000020${i}` })),
      ...Array.from({ length: 4 }, (_, i) => ({ nick: `ls-${i}`, phone: `1360000030${i}` })),
      ...Array.from({ length: 2 }, (_, i) => ({ nick: `mg-${i}`, phone: `1360000040${i}` })),
    ]);
    await e.db.kysely
      .updateTable('customers')
      .set({ is_blacklisted: 1 })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', ids['cp-4']!)
      .execute();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('issues the coupon template with each message, exactly once; none to a held recipient or past stock', async () => {
    const e = env();
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '满100减20',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 2000 },
      validity: { days: 7 },
      totalStock: 3,
    });
    const c = (
      await api(
        'POST',
        '/campaigns',
        draft({
          segmentId: await segmentOf(e, 'cp-'),
          couponTemplateId: t.id,
          variants: [{ key: 'A', content: { text: '#客户昵称#，送您#优惠券金额#元券 #优惠券#' } }],
        }),
      )
    ).body;
    expect(c.couponTemplateId).toBe(t.id);
    // The preview fills the coupon's variables as the send will: its amount, a code of the real length (the SMS's
    // length and cost are the message's). Without the coupon they are the customer's own — none here: missing.
    const preview = (couponTemplateId?: string) =>
      api('POST', '/messaging/preview', {
        channelId: outbox,
        kind: 'marketing',
        customerId: ids['cp-1'],
        content: { text: '#客户昵称#，送您#优惠券金额#元券 #优惠券#' },
        ...(couponTemplateId ? { couponTemplateId } : {}),
      });
    const previewed = await preview(t.id);
    expect(previewed.status).toBe(200);
    expect(previewed.body.missing).toEqual([]);
    expect(previewed.body.text).toMatch(/^【回客旗舰店】cp-1，送您20元券 [0-9A-Z]{10} 拒收请回复R$/);
    expect(previewed.body.chars).toBe([...previewed.body.text].length);
    expect((await preview()).body.missing).toEqual(['优惠券金额', '优惠券']);
    expect((await preview('no-such-template')).status).toBe(404);
    const dry = (await api('POST', `/campaigns/${c.id}/dry-run`)).body;
    expect(dry).toMatchObject({ wouldReceive: 3, heldBack: { blacklisted: 1, coupon_out_of_stock: 1 } });
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
    await worker().drain();
    await planCampaign(e.ctx, e.workspaceId, c.id); // a second plan adds nothing
    const msgs = await messagesOf(e, c.id);
    expect(msgs).toHaveLength(5);
    const coupons = await e.db.kysely
      .selectFrom('coupons')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('template_id', '=', t.id)
      .execute();
    expect(coupons).toHaveLength(3);
    expect(new Set(coupons.map((x) => x.customer_id)).size).toBe(3);
    const withCoupon = msgs.filter((m) => m.coupon_id);
    expect(withCoupon).toHaveLength(3);
    for (const m of withCoupon) {
      const cp = coupons.find((x) => x.id === m.coupon_id)!;
      expect(cp.customer_id).toBe(m.customer_id);
      expect(m.body).toContain(`送您20元券 ${cp.code}`);
    }
    const held = msgs.filter((m) => m.status === 'skipped');
    expect(held.map((m) => m.reason).sort()).toEqual(['blacklisted', 'coupon_out_of_stock']);
    expect(held.every((m) => m.coupon_id === null)).toBe(true);
    expect(coupons.some((x) => x.customer_id === ids['cp-4'])).toBe(false);
    const tpl = await e.db.kysely
      .selectFrom('coupon_templates')
      .select('issued')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', t.id)
      .executeTakeFirstOrThrow();
    expect(Number(tpl.issued)).toBe(3);
  });

  it('a care campaign carries no coupon: refused when saved, and at launch for a draft saved before', async () => {
    const e = env();
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '关怀券',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
      validity: { days: 7 },
    });
    const body = draft({
      name: '物流关怀',
      kind: 'care',
      segmentId: await segmentOf(e, 'cp-'),
      couponTemplateId: t.id,
      variants: [{ key: 'A', content: { text: '#客户昵称#，您的包裹在路上了 #优惠券#' } }],
    });
    const refused = await api('POST', '/campaigns', body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({ key: 'campaign.careCoupon', params: { field: 'couponTemplateId' } }),
    ]);
    // The same as marketing is a draft; turned into care by an earlier version, its launch is refused.
    const c = (await api('POST', '/campaigns', { ...body, kind: 'marketing' })).body;
    expect(c.status).toBe('draft');
    expect((await api('PUT', `/campaigns/${c.id}`, body)).status).toBe(400);
    await e.db.kysely
      .updateTable('campaigns')
      .set({ kind: 'care' })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', c.id)
      .execute();
    const launch = await api('POST', `/campaigns/${c.id}/launch`);
    expect(launch.status).toBe(409);
    expect(launch.body.error.reason).toEqual({ key: 'campaign.careCoupon', params: {} });
    expect((await api('GET', `/campaigns/${c.id}`)).body.status).toBe('draft');
    expect(await messagesOf(e, c.id)).toEqual([]);
  });

  it("a coupon's days count from its message's send time; a message not sent voids its coupon", async () => {
    const e = env();
    const k = e.db.kysely;
    await seedCustomers(e, [
      ...Array.from({ length: 3 }, (_, i) => ({ nick: `cv-${i}`, phone: `1360000070${i}` })),
      ...Array.from({ length: 2 }, (_, i) => ({ nick: `cw-${i}`, phone: `1360000080${i}` })),
    ]);
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '七天券',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
      validity: { days: 7 },
    });
    const issuedOf = async () =>
      Number(
        (
          await k
            .selectFrom('coupon_templates')
            .select('issued')
            .where('workspace_id', '=', e.workspaceId)
            .where('id', '=', t.id)
            .executeTakeFirstOrThrow()
        ).issued,
      );
    const withCoupons = async (campaignId: string) => {
      const coupons = await k.selectFrom('coupons').selectAll().where('workspace_id', '=', e.workspaceId).execute();
      return (await messagesOf(e, campaignId)).map((m) => ({ m, c: coupons.find((x) => x.id === m.coupon_id)! }));
    };
    const launch = async (prefix: string) => {
      const c = (
        await api(
          'POST',
          '/campaigns',
          draft({
            segmentId: await segmentOf(e, prefix),
            couponTemplateId: t.id,
            throttlePerMinute: 1,
            variants: [{ key: 'A', content: { text: '#客户昵称#，送您券 #优惠券#' } }],
          }),
        )
      ).body;
      expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
      await worker().drain();
      return c.id as string;
    };

    // One a minute: the second and third go out 1 and 2 minutes after the launch, and their coupons start then.
    const first = await launch('cv-');
    const sent = await withCoupons(first);
    expect(sent.map(({ m }) => m.status).sort()).toEqual(['queued', 'queued', 'sent']);
    const minutesAfter = sent
      .filter(({ m }) => m.status === 'queued')
      .map(({ m }) => (Date.parse(String(m.send_at)) - Date.parse(MORNING)) / 60_000);
    expect(minutesAfter.sort()).toEqual([1, 2]);
    for (const { m, c } of sent) {
      // A sent message's send_at became its claim's lease: it went out at the launch.
      const at = m.status === 'sent' ? Date.parse(MORNING) : Date.parse(String(m.send_at));
      expect(Date.parse(String(c.valid_from))).toBe(at);
      expect(Date.parse(String(c.valid_to)) - Date.parse(String(c.valid_from))).toBe(7 * 86_400_000);
    }
    expect(await issuedOf()).toBe(3);

    // Cancelled: the two queued messages' coupons are void and back in stock; the sent one's stays.
    expect((await api('POST', `/campaigns/${first}/cancel`)).body).toMatchObject({ status: 'cancelled' });
    const after = await withCoupons(first);
    expect(after.map(({ m, c }) => [m.status, c.status]).sort()).toEqual([
      ['cancelled', 'void'],
      ['cancelled', 'void'],
      ['sent', 'issued'],
    ]);
    expect(await issuedOf()).toBe(1);
    const report = (await api('GET', '/coupons/report')).body.items as { id: string; issued: number }[];
    expect(report.find((r) => r.id === t.id)?.issued).toBe(1);

    // Re-checked before it goes out: blacklisted meanwhile, the message is skipped and its coupon void.
    const second = await launch('cw-');
    const waiting = (await withCoupons(second)).find(({ m }) => m.status === 'queued')!;
    await k
      .updateTable('customers')
      .set({ is_blacklisted: 1 })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', waiting.m.customer_id)
      .execute();
    await sendAll(e, worker(), second);
    const done = await withCoupons(second);
    expect(done.map(({ m, c }) => [m.status, c.status]).sort()).toEqual([
      ['sent', 'issued'],
      ['skipped', 'void'],
    ]);
    expect(await issuedOf()).toBe(2);
    e.setNow(MORNING);
  });

  it('a plan cut short and run again issues each coupon once and counts the stock once', async () => {
    const e = env();
    await seedCustomers(
      e,
      Array.from({ length: 4 }, (_, i) => ({ nick: `rs-${i}`, phone: `1360000050${i}` })),
    );
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '续跑券',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
      validity: { days: 7 },
      totalStock: 10,
    });
    const c = (
      await api(
        'POST',
        '/campaigns',
        draft({
          segmentId: await segmentOf(e, 'rs-'),
          couponTemplateId: t.id,
          variants: [{ key: 'A', content: { text: '#客户昵称#，送您 #优惠券#' } }],
        }),
      )
    ).body;
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
    // A worker stopped after the first chunk of two recipients; the plan job then runs it again.
    await planCampaign(e.ctx, e.workspaceId, c.id, { chunk: 2, maxChunks: 1 });
    expect(await messagesOf(e, c.id)).toHaveLength(2);
    await worker().drain();
    expect(await messagesOf(e, c.id)).toHaveLength(4);
    const k = e.db.kysely;
    const coupons = await k
      .selectFrom('coupons')
      .select('customer_id')
      .where('workspace_id', '=', e.workspaceId)
      .where('template_id', '=', t.id)
      .execute();
    expect(new Set(coupons.map((x) => x.customer_id)).size).toBe(4);
    expect(coupons).toHaveLength(4);
    const tpl = await k
      .selectFrom('coupon_templates')
      .select('issued')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', t.id)
      .executeTakeFirstOrThrow();
    expect(Number(tpl.issued)).toBe(4);
  });

  it('on its own reading thread, cut short and run again: one decision each, rules across chunks', async () => {
    const e = env();
    e.setNow(MORNING);
    const k = e.db.kysely;
    const seeded = await seedCustomers(
      e,
      Array.from({ length: 7 }, (_, i) => ({ nick: `pt-${i}`, phone: `1360000060${i}` })),
    );
    // In the plan's order (customer id), chunks of two: [0 1] [2 3] [4 5] [6].
    const order = Object.values(seeded).sort();
    const at = (i: number) => order[i]!;
    const phone1 = '13600000691';
    // 2 is the same person as 1 (one phone), one chunk later; 3 is blacklisted; 4 was sent marketing yesterday.
    await k
      .updateTable('customers')
      .set({ phone: phone1 })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', 'in', [at(1), at(2)])
      .execute();
    await k
      .updateTable('customers')
      .set({ is_blacklisted: 1 })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', at(3))
      .execute();
    const yesterday = '2026-11-22T02:00:00.000Z';
    await k
      .insertInto('messages')
      .values({
        workspace_id: e.workspaceId,
        id: `pt-earlier-${at(4)}`,
        source_type: 'automation',
        source_id: 'earlier',
        step: 'send',
        customer_id: at(4),
        channel_id: outbox,
        kind: 'marketing',
        medium: 'sms',
        status: 'sent',
        sent_at: yesterday,
        created_at: yesterday,
        updated_at: yesterday,
      })
      .execute();
    const c = (await api('POST', '/campaigns', draft({ segmentId: await segmentOf(e, 'pt-'), throttlePerMinute: 1 })))
      .body;
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
    // A worker stopped after two chunks (on SQLite the chunks read and decided on the plan's reading thread).
    await planCampaign(e.ctx, e.workspaceId, c.id, { chunk: 2, maxChunks: 2, thread: true });
    expect(await messagesOf(e, c.id)).toHaveLength(4);
    await planCampaign(e.ctx, e.workspaceId, c.id, { chunk: 2, thread: true });
    const msgs = await messagesOf(e, c.id);
    expect(msgs.map((m) => m.customer_id)).toEqual(order);
    expect(msgs.map((m) => m.reason ?? m.status)).toEqual([
      'queued',
      'queued',
      'duplicate_contact',
      'blacklisted',
      'frequency_cap',
      'queued',
      'queued',
    ]);
    // The throttle's slots carried across chunks and across the second run: one a minute, none twice.
    const minute = (m: number) => new Date(Date.parse(MORNING) + m * 60_000).toISOString();
    expect(msgs.filter((m) => m.status === 'queued').map((m) => m.send_at)).toEqual([0, 1, 2, 3].map(minute));
    const planned = await k
      .selectFrom('campaigns')
      .select('planned_at')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(planned.planned_at).not.toBeNull();
  });

  it('a paused or archived coupon template issues nothing: dry run holds with reason, launch refused', async () => {
    const e = env();
    const pz = await seedCustomers(e, [
      { nick: 'pz-0', phone: '13600000900' },
      { nick: 'pz-1', phone: '13600000901' },
    ]);
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '暂停券',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
      validity: { days: 7 },
    });
    const draftWith = async (templateId: string) =>
      (
        await api(
          'POST',
          '/campaigns',
          draft({
            segmentId: await segmentOf(e, 'pz-'),
            couponTemplateId: templateId,
            variants: [{ key: 'A', content: { text: '#客户昵称#，送您券 #优惠券#' } }],
          }),
        )
      ).body;
    const c = await draftWith(t.id);
    await pauseTemplate(e.ctx, e.workspaceId, t.id, true);
    const dry = (await api('POST', `/campaigns/${c.id}/dry-run`)).body;
    expect(dry).toMatchObject({ wouldReceive: 0, heldBack: { coupon_paused: 2 } });
    const refused = await api('POST', `/campaigns/${c.id}/launch`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.reason).toEqual({ key: 'campaign.couponPaused', params: { coupon: '暂停券' } });
    expect((await api('GET', `/campaigns/${c.id}`)).body.status).toBe('draft');
    // Resumed, launched, then paused again before the plan runs: the planner issues nothing.
    await pauseTemplate(e.ctx, e.workspaceId, t.id, false);
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
    await pauseTemplate(e.ctx, e.workspaceId, t.id, true);
    await worker().drain();
    const msgs = await messagesOf(e, c.id);
    expect(msgs.map((m) => [m.customer_id, m.status, m.reason, m.coupon_id])).toEqual(
      [pz['pz-0']!, pz['pz-1']!].sort().map((id) => [id, 'skipped', 'coupon_paused', null]),
    );
    const issued = await e.db.kysely
      .selectFrom('coupons')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('template_id', '=', t.id)
      .execute();
    expect(issued).toHaveLength(0);
    // Archived: the same, with its own reason.
    const t2 = await createTemplate(e.ctx, e.workspaceId, {
      name: '归档券',
      rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
      validity: { days: 7 },
    });
    const c2 = await draftWith(t2.id);
    await archiveTemplate(e.ctx, e.workspaceId, t2.id);
    const dry2 = (await api('POST', `/campaigns/${c2.id}/dry-run`)).body;
    expect(dry2).toMatchObject({ heldBack: { coupon_archived: 2 } });
    const refused2 = await api('POST', `/campaigns/${c2.id}/launch`);
    expect(refused2.status).toBe(409);
    expect(refused2.body.error.reason).toEqual({ key: 'campaign.couponArchived', params: { coupon: '归档券' } });
  });

  it('the report counts clicks and opt-outs of recipients; the comparison counts delivery receipts', async () => {
    const e = env();
    const fn = await seedCustomers(e, [
      { nick: 'fn-0', phone: '13600000910' },
      { nick: 'fn-1', phone: '13600000911' },
      { nick: 'fn-2', phone: '13600000912' },
    ]);
    const c = (
      await api(
        'POST',
        '/campaigns',
        draft({
          name: '漏斗',
          segmentId: await segmentOf(e, 'fn-'),
          linkUrl: 'https://shop.example/sale',
          variants: [{ key: 'A', content: { text: '#客户昵称#，大促 #链接#' } }],
        }),
      )
    ).body;
    expect((await api('POST', `/campaigns/${c.id}/launch`)).status).toBe(200);
    await sendAll(e, worker(), c.id);
    const link = await e.db.kysely
      .selectFrom('message_links')
      .select('code')
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', fn['fn-0']!)
      .where('kind', '=', 'click')
      .executeTakeFirstOrThrow();
    expect((await app.inject({ method: 'GET', url: `/r/${link.code}` })).statusCode).toBe(302);
    await handleReply(e.ctx, e.workspaceId, { channelId: outbox, from: '13600000911', text: 'TD' });
    // A receipt (channels.test covers the providers' formats) marks fn-2's message delivered.
    await e.db.kysely
      .updateTable('messages')
      .set({ delivery: 'delivered' })
      .where('workspace_id', '=', e.workspaceId)
      .where('source_id', '=', c.id)
      .where('customer_id', '=', fn['fn-2']!)
      .execute();
    const report = (await api('GET', `/campaigns/${c.id}/report`)).body;
    expect(report).toMatchObject({ targeted: 3, sent: 3, delivered: 1, failed: 0, clicked: 1, optedOut: 1 });
    const list = (await api('GET', '/campaigns')).body.items as { id: string; status: string }[];
    const other = list.find((x) => x.id !== c.id && x.status === 'done')!;
    const compared = (await api('GET', `/campaigns/compare?ids=${c.id},${other.id}`)).body.items as {
      overall: { delivered: number; sent: number };
    }[];
    expect(compared[0]!.overall).toMatchObject({ sent: 3, delivered: 1 });
  });

  it("a marketing SMS without the shop's signature is refused before the dry run reads its audience", async () => {
    // At a million customers the dry run said so after reading them all: 12–15 s for a 400.
    const e = env();
    const c = (await api('POST', '/campaigns', draft({ segmentId: await segmentOf(e, 'cp-') }))).body;
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '' });
    const { db: logged, statements } = loggedDatabase(e.url);
    try {
      await expect(dryRun({ ...e.ctx, db: logged }, e.workspaceId, c.id)).rejects.toMatchObject({
        reason: { key: 'sms.noSignature' },
      });
      expect(statements.filter((q) => /from "customers"|from customers/i.test(q.sql))).toEqual([]);
    } finally {
      await logged.close();
      await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
    }
    const answer = await api('POST', `/campaigns/${c.id}/dry-run`);
    expect(answer.status).toBe(200);
    expect(answer.body.audience).toBe(5);
  });

  it('a campaign scheduled at a time, or for the next send window, starts then', async () => {
    const e = env();
    const seg = await segmentOf(e, 'sc-');
    // From a day ago to a year ahead: 2000 and 9999 were taken.
    for (const startAt of [
      '2000-01-01T00:00:00Z',
      '9999-12-31T00:00:00Z',
      '2026-11-21T00:00:00Z',
      '2027-12-01T00:00:00Z',
    ]) {
      const refused = await api('POST', '/campaigns', draft({ segmentId: seg, schedule: 'at', startAt }));
      expect(refused.status, startAt).toBe(400);
      expect(refused.body.error.reason).toEqual({ key: 'campaign.startAtRange', params: { startAt } });
    }
    const at = (
      await api('POST', '/campaigns', draft({ segmentId: seg, schedule: 'at', startAt: '2026-11-23T04:00:00.000Z' }))
    ).body;
    const launched = (await api('POST', `/campaigns/${at.id}/launch`)).body;
    expect(launched).toMatchObject({ status: 'scheduled', startAt: '2026-11-23T04:00:00.000Z', launchedAt: null });
    const recipients = async () =>
      (
        await e.db.kysely
          .selectFrom('campaign_recipients')
          .select('customer_id')
          .where('workspace_id', '=', e.workspaceId)
          .where('campaign_id', '=', at.id)
          .execute()
      ).length;
    expect(await recipients()).toBe(0); // the request draws nothing: the worker does, at launch
    await worker().drain();
    expect(await messagesOf(e, at.id)).toHaveLength(0);
    expect(await recipients()).toBe(5);
    // The audience is frozen at launch: one who joins the segment before the start is not sent to.
    await seedCustomers(e, [{ nick: 'sc-late', phone: '13600000159' }]);
    expect((await api('GET', `/campaigns/${at.id}/attribution`)).status).toBe(400);
    e.setNow('2026-11-23T04:00:00.000Z');
    await sendAll(e, worker(), at.id);
    expect((await api('GET', `/campaigns/${at.id}`)).body).toMatchObject({
      status: 'done',
      launchedAt: '2026-11-23T04:00:00.000Z',
    });
    expect((await messagesOf(e, at.id)).map((m) => m.status)).toEqual(Array(5).fill('sent'));

    // A start time beside "now" or "the next window" was dropped without a word (the campaign went out at once).
    for (const schedule of ['now', 'window']) {
      const refused = await api(
        'POST',
        '/campaigns',
        draft({ segmentId: seg, schedule, startAt: '2026-11-25T02:00:00.000Z', name: '错配' }),
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([
        expect.objectContaining({ path: 'body.startAt', key: 'campaign.startAtNotScheduled' }),
      ]);
    }

    // A key a variant or its content does not know is named, not dropped (a misspelt subject went out without it).
    for (const [variant, keys] of [
      [{ key: 'A', content: { text: '会员日', subjet: '主题' } }, 'subjet'],
      [{ key: 'A', wieght: 2, content: { text: '会员日' } }, 'wieght'],
    ] as const) {
      const refused = await api('POST', '/campaigns', draft({ segmentId: seg, variants: [variant], name: '多余字段' }));
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([
        expect.objectContaining({ key: 'input.unknownKeys', params: expect.objectContaining({ keys }) }),
      ]);
    }

    // 13:00 in Shanghai: the next window opens at 14:00.
    e.setNow('2026-11-24T05:00:00.000Z');
    const win = (
      await api('POST', '/campaigns', draft({ segmentId: seg, schedule: 'window', kind: 'care', name: '发货关怀' }))
    ).body;
    expect((await api('POST', `/campaigns/${win.id}/launch`)).body).toMatchObject({
      status: 'running', // care messages may go 08:00–22:00: open now
    });
    const mk = (await api('POST', '/campaigns', draft({ segmentId: seg, schedule: 'window', name: '午后上新' }))).body;
    expect((await api('POST', `/campaigns/${mk.id}/launch`)).body).toMatchObject({
      status: 'scheduled',
      startAt: '2026-11-24T06:00:00.000Z',
    });
    expect((await api('POST', `/campaigns/${mk.id}/cancel`)).body).toMatchObject({ status: 'cancelled' });
    e.setNow(MORNING);
  });

  it('a throttle spaces the messages a minute apart per batch, and all are sent', async () => {
    const e = env();
    const c = (await api('POST', '/campaigns', draft({ segmentId: await segmentOf(e, 'th-'), throttlePerMinute: 2 })))
      .body;
    await api('POST', `/campaigns/${c.id}/launch`);
    await worker().drain();
    const queued = await messagesOf(e, c.id);
    const offsets = queued
      .map((m) => (Date.parse(String(new Date(m.send_at!).toISOString())) - Date.parse(MORNING)) / 60_000)
      .sort((a, b) => a - b);
    expect(offsets.slice(2)).toEqual([1, 1, 2]);
    expect(queued.filter((m) => m.status === 'sent')).toHaveLength(2);
    await sendAll(e, worker(), c.id);
    expect((await messagesOf(e, c.id)).every((m) => m.status === 'sent')).toBe(true);
    e.setNow(MORNING);
  });

  it('a test send goes to staff, marked 测试, and is not counted in the report', async () => {
    const e = env();
    const users = await e.db.kysely
      .selectFrom('users')
      .select(['id', 'login'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    const c = (
      await api(
        'POST',
        '/campaigns',
        draft({
          segmentId: await segmentOf(e, 'th-'),
          name: '测试发送',
          variants: [
            { key: 'A', content: { text: '#客户昵称#，券 #优惠券#' } },
            { key: 'B', content: { text: '#客户昵称#，B 方案' } },
          ],
        }),
      )
    ).body;
    const phoneUser = users.find((u) => u.login === '13912345678')!;
    // With a coupon template, the test shows its real amount (a sample code): 满150减25 says 25.
    const t = await createTemplate(e.ctx, e.workspaceId, {
      name: '满150减25',
      rules: { kind: 'spend_off', minFen: 15000, offFen: 2500 },
      validity: { days: 7 },
    });
    const withCoupon = (
      await api(
        'POST',
        '/campaigns',
        draft({
          segmentId: await segmentOf(e, 'th-'),
          name: '测试发送券',
          couponTemplateId: t.id,
          variants: [{ key: 'A', content: { text: '#客户昵称#，送您#优惠券金额#元券 #优惠券#' } }],
        }),
      )
    ).body;
    const couponTest = await api('POST', `/campaigns/${withCoupon.id}/test`, { phone: '13800001111' });
    expect(couponTest.status).toBe(200);
    const couponMsg = await e.db.kysely
      .selectFrom('messages')
      .select('body')
      .where('workspace_id', '=', e.workspaceId)
      .where('source_type', '=', 'test')
      .where('source_id', '=', withCoupon.id)
      .executeTakeFirstOrThrow();
    expect(couponMsg.body).toContain('送您25元券 TEST000000');
    const res = await api('POST', `/campaigns/${c.id}/test`, { userIds: [phoneUser.id], phone: '13800001111' });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(4);
    const sent = await e.db.kysely
      .selectFrom('messages')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('source_type', '=', 'test')
      .where('source_id', '=', c.id)
      .execute();
    expect(sent.map((m) => m.contact).sort()).toEqual(['13800001111', '13800001111', '13912345678', '13912345678']);
    expect(sent.every((m) => m.body!.startsWith('【回客旗舰店】【测试】') && m.status === 'sent')).toBe(true);
    expect(sent.some((m) => m.body!.includes('TEST000000'))).toBe(true);
    const boss = users.find((u) => u.login === 'boss')!;
    expect((await api('POST', `/campaigns/${c.id}/test`, { userIds: [boss.id] })).status).toBe(400);
    await api('POST', `/campaigns/${c.id}/launch`);
    await sendAll(e, worker(), c.id);
    const report = (await api('GET', `/campaigns/${c.id}/report`)).body;
    expect(report.sent).toBe(0); // everyone was capped by the throttle campaign; the tests are not counted
    expect(report.heldBack.frequency_cap).toBe(5);
  });

  it('an uploaded list is matched by phone, nick and customer id; the rest is counted and downloadable', async () => {
    const csv = ['手机号', '+86 136-0000-0300', 'ls-1', ids['ls-2']!, '13999999999', '不认识的人', ''].join('\n');
    const boundary = 'HuikeList';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n老客名单\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`;
    const up = await app.inject({
      method: 'POST',
      url: '/api/v1/campaigns/audiences',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    expect(up.statusCode).toBe(201);
    const list = up.json();
    expect(list).toMatchObject({ name: '老客名单', rows: 5, matched: 3, unmatched: 2, segmentId: `list:${list.id}` });
    const un = await api('GET', `/campaigns/audiences/${list.id}/unmatched.csv`);
    expect(un.status).toBe(200);
    expect(String(un.body)).toContain('13999999999');
    expect(String(un.body)).toContain('不认识的人');
    // A role that sees no PII gets the lines masked (it got the phones whole).
    const masked = await unmatchedCsv(env().ctx, env().workspaceId, list.id, 'analyst');
    expect(masked).toContain('139****9999');
    expect(masked).not.toContain('13999999999');
    expect(masked).not.toContain('不认识的人');
    expect((await api('GET', '/campaigns/audiences')).body.items.map((x: { id: string }) => x.id)).toContain(list.id);
    const c = (await api('POST', '/campaigns', draft({ segmentId: list.segmentId, name: '名单活动' }))).body;
    const dry = (await api('POST', `/campaigns/${c.id}/dry-run`)).body;
    expect(dry.audience).toBe(3);
    expect((await api('POST', '/campaigns', draft({ segmentId: 'list:nope' }))).status).toBe(404);
  });

  it("an uploaded list's name is text as a JSON body's: no NUL, nothing but UTF-8, 80 characters", async () => {
    const boundary = 'HuikeList';
    const upload = (name: Buffer) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/campaigns/audiences',
        headers: { 'x-huike-client': 'test', cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n`),
          name,
          Buffer.from(
            `\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n` +
              `Content-Type: text/csv\r\n\r\n手机号\n13600000300\r\n--${boundary}--\r\n`,
          ),
        ]),
      });
    const lists = async () => (await api('GET', '/campaigns/audiences')).body.items.length;
    const before = await lists();
    for (const [name, key] of [
      [Buffer.from('老客\u0000名单'), 'input.nulChar'],
      [Buffer.concat([Buffer.from('老客'), Buffer.from([0xff, 0xfe]), Buffer.from('名单')]), 'input.badUtf8'],
      [Buffer.from('名'.repeat(100_000)), 'input.tooLong'],
    ] as const) {
      const r = await upload(name);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().error.reason.key).toBe(key);
    }
    expect(await lists()).toBe(before);
    const ok = await upload(Buffer.from('名'.repeat(80)));
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().name).toBe('名'.repeat(80));
  });

  it('an RFM cell is an audience: the same customers as the matrix cell', async () => {
    const e = env();
    await recomputeRfm(e.ctx, e.workspaceId);
    const cells = (await api('GET', '/rfm/matrix')).body.cells as { r: number; f: number; customers: number }[];
    const cell = cells.find((x) => x.customers > 0)!;
    const c = (await api('POST', '/campaigns', draft({ segmentId: `sys:rfm:R${cell.r}F${cell.f}`, name: 'RFM' }))).body;
    expect(c.status).toBe('draft');
    expect((await api('POST', `/campaigns/${c.id}/dry-run`)).body.audience).toBe(cell.customers);
    expect((await api('POST', '/campaigns', draft({ segmentId: 'sys:rfm:R9F1' }))).status).toBe(404);
  });

  it('compares 2–4 launched campaigns side by side, per campaign and variant', async () => {
    const list = (await api('GET', '/campaigns')).body.items as { id: string; status: string; name: string }[];
    const done = list.filter((c) => c.status === 'done').slice(0, 2);
    const res = await api('GET', `/campaigns/compare?ids=${done.map((c) => c.id).join(',')}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    for (const item of res.body.items) {
      expect(item.overall).toMatchObject({ key: null });
      expect(item.overall.targeted).toBeGreaterThan(0);
      expect(typeof item.overall.sent).toBe('number');
      expect(item.variants.length).toBeGreaterThan(0);
    }
    expect((await api('GET', `/campaigns/compare?ids=${done[0]!.id}`)).status).toBe(400);
  });

  it('a merge moves messages, decisions and campaign places to the target, and undo moves them back', async () => {
    const e = env();
    for (const prefix of ['mg-0', 'mg-']) {
      const c = (await api('POST', '/campaigns', draft({ segmentId: await segmentOf(e, prefix), name: prefix }))).body;
      await api('POST', `/campaigns/${c.id}/launch`);
      await sendAll(e, worker(), c.id);
      e.setNow(MORNING);
    }
    const [a, b] = [ids['mg-0']!, ids['mg-1']!];
    const where = async (table: 'messages' | 'campaign_recipients', customerId: string) =>
      (
        await e.db.kysely
          .selectFrom(table)
          .select('customer_id')
          .where('workspace_id', '=', e.workspaceId)
          .where('customer_id', '=', customerId)
          .execute()
      ).length;
    // a: sent by the first campaign, held by the cap in the second; b: sent by the second.
    expect([await where('messages', a), await where('messages', b)]).toEqual([2, 1]);
    const m = await mergeCustomers(e.ctx, e.workspaceId, b, a, null);
    // Both were in the second campaign: b keeps its own message and place there; a's others move.
    expect([await where('messages', a), await where('messages', b)]).toEqual([1, 2]);
    expect([await where('campaign_recipients', a), await where('campaign_recipients', b)]).toEqual([1, 2]);
    await undoMerge(e.ctx, e.workspaceId, m.id);
    expect([await where('messages', a), await where('messages', b)]).toEqual([2, 1]);
    expect([await where('campaign_recipients', a), await where('campaign_recipients', b)]).toEqual([2, 1]);
  });
});
