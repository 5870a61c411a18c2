import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { wecomEncrypt, wecomSignature } from '../../src/core/messaging/wecom-crypto.js';
import { Random } from '../../src/core/random.js';
import { channelHookTokens } from '../../src/db/migrations/0042_channel_hook_tokens.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import { createChannel, recordBatch } from '../../src/modules/messaging/service.js';
import { clearWecomTokens } from '../../src/modules/messaging/wecom.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { ALIYUN_CRED, type FakeProviders, startFakeProviders, TENCENT_CRED, WECOM } from '../support/fake-providers.js';
import { careBatch, seedCustomers } from '../support/messaging.js';

const KEY = 'test-secret-key-0123456789abcdef';
type ChannelListed = {
  id: string;
  hooks: {
    receipts: string | null;
    replies: string;
    wecom: { url: string; token: string; encodingAesKey: string } | null;
  } | null;
};
// 10:00 in Shanghai.
const MORNING = '2026-11-23T02:00:00.000Z';

/** Runs the worker until no message of the source waits, jumping the clock to the next due job. */
async function deliverAll(env: TestEnv, sourceId: string, maxRounds = 200) {
  const worker = createWorker(env.ctx, { handlers: jobHandlers });
  for (let i = 0; i < maxRounds; i++) {
    await worker.drain();
    const left = await env.db.kysely
      .selectFrom('messages')
      .select('id')
      .where('workspace_id', '=', env.workspaceId)
      .where('source_id', '=', sourceId)
      .where('status', '=', 'queued')
      .execute();
    if (left.length === 0) return;
    const next = await env.db.kysely
      .selectFrom('jobs')
      .select((eb) => eb.fn.min('run_at').as('at'))
      .where('workspace_id', '=', env.workspaceId)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    const now = env.ctx.now().getTime();
    const at = next?.at ? new Date(String(next.at)).getTime() : now;
    env.setNow(new Date(Math.max(at, now + 1000)).toISOString());
  }
  const jobs = await env.db.kysely
    .selectFrom('jobs')
    .select(['status', 'last_error', 'run_at'])
    .where('workspace_id', '=', env.workspaceId)
    .orderBy('id', 'desc')
    .limit(3)
    .execute();
  throw new Error(`messages still queued: ${JSON.stringify(jobs)}`);
}

async function messagesOf(env: TestEnv, sourceId: string) {
  const rows = await env.db.kysely
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', env.workspaceId)
    .where('source_id', '=', sourceId)
    .execute();
  return new Map(rows.map((r) => [r.customer_id, r]));
}

describeBothDatabases('channels: SMS providers and 企业微信', (env) => {
  let fake: FakeProviders;
  let app: FastifyInstance;
  let cookie = '';
  const api = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { 'x-huike-client': 'test', cookie },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  let phoneSeq = 0;
  /** Fresh customers with their own phones (and WeCom ids), so every test counts only its own sends. */
  const customers = async (prefix: string, n: number) => {
    const specs = Array.from({ length: n }, (_, i) => ({
      nick: `${prefix}${i}`,
      phone: `1370000${String(++phoneSeq).padStart(4, '0')}`,
    }));
    const ids = await seedCustomers(env(), specs);
    for (const s of specs)
      await env()
        .db.kysely.updateTable('customers')
        .set({ wechat: `wm${s.phone}` })
        .where('workspace_id', '=', env().workspaceId)
        .where('id', '=', ids[s.nick]!)
        .execute();
    return specs.map((s) => ({ id: ids[s.nick]!, phone: s.phone, nick: s.nick }));
  };
  const aliyun = (name: string, over: Record<string, unknown> = {}) =>
    createChannel(env().ctx, env().workspaceId, {
      name,
      kind: 'aliyun_sms',
      config: { signName: '回客旗舰店', templateCode: 'SMS_154950909', endpoint: fake.url, timeoutMs: 400, ...over },
      credentials: ALIYUN_CRED,
    });
  const tencent = (name: string) =>
    createChannel(env().ctx, env().workspaceId, {
      name,
      kind: 'tencent_sms',
      config: {
        sdkAppId: '1400006666',
        signName: '回客旗舰店',
        templateId: '449739',
        endpoint: fake.url,
        timeoutMs: 400,
      },
      credentials: TENCENT_CRED,
    });
  const wecom = (name: string) =>
    createChannel(env().ctx, env().workspaceId, {
      name,
      kind: 'wecom',
      config: { corpId: WECOM.corpId, sender: 'zhangsan', baseUrl: fake.url, timeoutMs: 400 },
      credentials: { secret: WECOM.secret },
    });

  beforeAll(async () => {
    process.env.HUIKE_SECRET_KEY = KEY;
    env().setNow(MORNING);
    fake = await startFakeProviders();
    await createUser(env().ctx, env().workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(env().ctx, { dataDir: scratchDir('huike-chan-') });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'secret-pass-1' },
    });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  afterEach(() => {
    fake.script = () => undefined;
    fake.rejected.length = 0;
    env().setNow(MORNING);
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    clearWecomTokens();
    delete process.env.HUIKE_SECRET_KEY;
  });

  it('Aliyun: SendSms with sign name, template and OutId; retries follow the code', async () => {
    const e = env();
    const ch = await aliyun('阿里云短信');
    const [ok, limited, black, unknown] = await customers('ali', 4);
    fake.script = (_p, to, _key, _call) => {
      if (to === limited!.phone && fake.calls['aliyun.SendSms']! <= 2)
        return { code: 'isv.BUSINESS_LIMIT_CONTROL', message: '触发分钟级流控Permits:1' };
      if (to === black!.phone) return { code: 'isv.BLACK_KEY_CONTROL_LIMIT', message: '黑名单管控' };
      if (to === unknown!.phone) return { code: 'isv.SOMETHING_NEW', message: '新的错误' };
      return undefined;
    };
    await recordBatch(e.ctx, e.workspaceId, careBatch('ali', ch.id, [ok!.id, limited!.id, black!.id, unknown!.id]));
    await deliverAll(e, 'ali');
    const m = await messagesOf(e, 'ali');
    expect(m.get(ok!.id)).toMatchObject({ status: 'sent', attempts: 1, throttled: 0 });
    const sentOk = fake.sent.find((s) => s.key === m.get(ok!.id)!.id)!;
    expect(sentOk).toMatchObject({
      to: ok!.phone,
      sign: '回客旗舰店',
      template: 'SMS_154950909',
      text: 'ali0，您的订单已发货',
    });
    expect(m.get(ok!.id)!.provider_ref).toBe(sentOk.ref);
    // Flow control: put back with backoff, then sent — never failed for it.
    expect(m.get(limited!.id)).toMatchObject({ status: 'sent' });
    expect(m.get(limited!.id)!.throttled).toBeGreaterThanOrEqual(1);
    // A blacklisted number: failed at once, never tried again.
    expect(m.get(black!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(m.get(black!.id)!.error).toMatch(/isv.BLACK_KEY_CONTROL_LIMIT: 号码在黑名单中/);
    // An unknown code: a few times (the job's 5 attempts), then failed with its error.
    expect(m.get(unknown!.id)).toMatchObject({ status: 'failed', attempts: 5 });
    expect(m.get(unknown!.id)!.error).toMatch(/isv.SOMETHING_NEW/);
    expect(fake.rejected).toEqual([]);
    expect([...fake.byKey().values()].every((n) => n === 1)).toBe(true);
  });

  it('Aliyun: a send accepted but unanswered (timeout) is not sent again on retry', async () => {
    const e = env();
    const ch = await aliyun('阿里云-超时');
    const [c] = await customers('alit', 1);
    fake.script = (_p, to, _k) => (to === c!.phone && fake.sent.every((s) => s.to !== to) ? { hang: true } : undefined);
    await recordBatch(e.ctx, e.workspaceId, careBatch('ali-timeout', ch.id, [c!.id]));
    await deliverAll(e, 'ali-timeout');
    const m = (await messagesOf(e, 'ali-timeout')).get(c!.id)!;
    expect(m).toMatchObject({ status: 'sent', attempts: 2 });
    expect(fake.byKey().get(m.id)).toBe(1);
    expect(fake.sent.filter((s) => s.to === c!.phone)).toHaveLength(1);
    expect(fake.calls['aliyun.QuerySendDetails']).toBeGreaterThanOrEqual(1);
  });

  it('Tencent: SendSms with SessionContext; a daily limit waits for the next day, a timeout is looked up', async () => {
    const e = env();
    const ch = await tencent('腾讯云短信');
    const [ok, daily, bad, failing, hang] = await customers('tc', 5);
    const plus = (p: string) => `+86${p}`;
    const seen = new Set<string>();
    fake.script = (_p, to) => {
      const first = !seen.has(to);
      seen.add(to);
      if (to === plus(daily!.phone) && first) return { code: 'LimitExceeded.PhoneNumberDailyLimit' };
      if (to === plus(bad!.phone)) return { code: 'InvalidParameterValue.IncorrectPhoneNumber' };
      if (to === plus(failing!.phone)) return { code: 'FailedOperation' };
      if (to === plus(hang!.phone) && first) return { hang: true };
      return undefined;
    };
    await recordBatch(
      e.ctx,
      e.workspaceId,
      careBatch('tc', ch.id, [ok!.id, daily!.id, bad!.id, failing!.id, hang!.id], {
        text: '#客户昵称#，会员积分已到账',
      }),
    );
    const w = createWorker(e.ctx, { handlers: jobHandlers });
    await w.drain();
    const after = await messagesOf(e, 'tc');
    // The daily limit puts the message on the providers' next day (00:00 China time), then the windows apply.
    expect(after.get(daily!.id)).toMatchObject({ status: 'queued', throttled: 1, send_at: '2026-11-23T16:00:00.000Z' });
    await deliverAll(e, 'tc');
    const m = await messagesOf(e, 'tc');
    const sent = fake.sent.find((s) => s.key === m.get(ok!.id)!.id)!;
    expect(sent).toMatchObject({
      to: plus(ok!.phone),
      sign: '回客旗舰店',
      template: '449739',
      text: 'tc0，会员积分已到账',
    });
    expect(m.get(ok!.id)).toMatchObject({ status: 'sent', provider_ref: sent.ref });
    expect(m.get(daily!.id)).toMatchObject({ status: 'sent' });
    expect(new Date(String(m.get(daily!.id)!.sent_at)).getTime()).toBeGreaterThanOrEqual(
      new Date('2026-11-24T00:00:00.000Z').getTime(), // 08:00 the next morning: care messages wait for 08:00
    );
    expect(m.get(bad!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(m.get(failing!.id)).toMatchObject({ status: 'failed', attempts: 5 });
    expect(m.get(failing!.id)!.error).toMatch(/FailedOperation/);
    expect(m.get(hang!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(fake.byKey().get(m.get(hang!.id)!.id)).toBe(1);
    expect(fake.calls['tencent.PullSmsSendStatusByPhoneNumber']).toBeGreaterThanOrEqual(1);
    expect(fake.rejected).toEqual([]);
  });

  it('企业微信: add_msg_template with a cached token, fetched again when expired', async () => {
    const e = env();
    const ch = await wecom('企业微信');
    const [a, b, c, d] = await customers('wc', 4);
    const issued = fake.tokensIssued;
    fake.script = (_p, to) => {
      if (to === `wm${c!.phone}`) return { code: 'fail_list' };
      if (to === `wm${d!.phone}` && (fake.calls['wecom.add_msg_template'] ?? 0) < 6) return { code: 45009 };
      return undefined;
    };
    await recordBatch(e.ctx, e.workspaceId, careBatch('wc1', ch.id, [a!.id, b!.id]));
    await deliverAll(e, 'wc1');
    expect(fake.tokensIssued - issued).toBe(1); // two sends, one token
    fake.expireTokens();
    await recordBatch(e.ctx, e.workspaceId, careBatch('wc2', ch.id, [c!.id, d!.id]));
    await deliverAll(e, 'wc2');
    expect(fake.tokensIssued - issued).toBe(2);
    const m1 = await messagesOf(e, 'wc1');
    const m2 = await messagesOf(e, 'wc2');
    expect(m1.get(a!.id)).toMatchObject({ status: 'sent' });
    expect(fake.sent.find((s) => s.to === `wm${a!.phone}`)).toMatchObject({ text: 'wc0，您的订单已发货' });
    expect(m2.get(c!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(m2.get(c!.id)!.error).toMatch(/fail_list/);
    expect(m2.get(d!.id)).toMatchObject({ status: 'sent' });
    expect(m2.get(d!.id)!.throttled).toBeGreaterThanOrEqual(1);
    expect(fake.rejected).toEqual([]);
  });

  it('企业微信: a retry looks for the earlier mass-send task first, so an accepted message is not sent twice', async () => {
    const e = env();
    const ch = await wecom('企业微信-重试');
    const [a, b] = await customers('wr', 2);
    let hangA = true;
    let busyB = true;
    fake.script = (_p, to) => {
      // a: accepted by 企业微信, but the answer never comes back; b: refused (system busy), nothing created.
      if (to === `wm${a!.phone}` && hangA) {
        hangA = false;
        return { hang: true };
      }
      if (to === `wm${b!.phone}` && busyB) {
        busyB = false;
        return { code: '-1', message: 'system busy' };
      }
      return undefined;
    };
    await recordBatch(e.ctx, e.workspaceId, careBatch('wr', ch.id, [a!.id, b!.id]));
    await deliverAll(e, 'wr');
    const m = await messagesOf(e, 'wr');
    expect(m.get(a!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(m.get(b!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    const sentTo = (who: { phone: string | null }) => fake.sent.filter((s) => s.to === `wm${who.phone}`);
    expect(sentTo(a!)).toHaveLength(1);
    expect(sentTo(b!)).toHaveLength(1);
    // The retry of a found the task it had created (its msgid), the retry of b found none and sent.
    expect(m.get(a!.id)!.provider_ref).toBe(sentTo(a!)[0]!.ref);
    expect(fake.calls['wecom.get_groupmsg_list_v2']).toBeGreaterThanOrEqual(2);
    expect(fake.calls['wecom.get_groupmsg_send_result']).toBeGreaterThanOrEqual(1);
    expect(fake.rejected).toEqual([]);
  });

  it('a provider failing 10 % of calls at random ends with every recipient sent exactly once', async () => {
    const e = env();
    const ali = await aliyun('阿里云-随机');
    const tc = await tencent('腾讯云-随机');
    const people = await customers('rnd', 40);
    const rnd = new Random(11);
    // A failed call: refused for a passing reason, throttled, or accepted and left unanswered.
    fake.script = (p) => {
      const roll = rnd.next();
      if (roll >= 0.1) return undefined;
      if (roll < 0.03) return { hang: true };
      if (roll < 0.06)
        return p === 'aliyun'
          ? { code: 'isv.BUSINESS_LIMIT_CONTROL', message: '触发分钟级流控' }
          : { code: 'LimitExceeded.PhoneNumberThirtySecondLimit' };
      return { code: p === 'aliyun' ? 'isp.SYSTEM_ERROR' : 'InternalError.Timeout' };
    };
    const ids = people.map((p) => p.id);
    await recordBatch(e.ctx, e.workspaceId, careBatch('rnd-ali', ali.id, ids.slice(0, 20)));
    await recordBatch(e.ctx, e.workspaceId, careBatch('rnd-tc', tc.id, ids.slice(20)));
    await deliverAll(e, 'rnd-ali', 400);
    await deliverAll(e, 'rnd-tc', 400);
    const all = [...(await messagesOf(e, 'rnd-ali')).values(), ...(await messagesOf(e, 'rnd-tc')).values()];
    expect(all).toHaveLength(40);
    expect(all.filter((m) => m.status !== 'sent').map((m) => m.error)).toEqual([]);
    const byKey = fake.byKey();
    for (const m of all) expect(byKey.get(m.id)).toBe(1);
    // Some calls did fail (the script is seeded: the same ones every run).
    expect(all.some((m) => m.attempts > 1 || m.throttled > 0)).toBe(true);
  });

  it('receipts and replies arrive per provider on the channel URL with its token', async () => {
    const e = env();
    const ali = await aliyun('阿里云-回执');
    const tc = await tencent('腾讯云-回执');
    const [a1, a2, t1, t2] = await customers('rc', 4);
    await recordBatch(e.ctx, e.workspaceId, careBatch('rc-ali', ali.id, [a1!.id, a2!.id]));
    await recordBatch(e.ctx, e.workspaceId, careBatch('rc-tc', tc.id, [t1!.id, t2!.id]));
    await deliverAll(e, 'rc-ali');
    await deliverAll(e, 'rc-tc');
    const ma = await messagesOf(e, 'rc-ali');
    const mt = await messagesOf(e, 'rc-tc');
    const listed = (await api('GET', '/messaging/channels')).body.items as {
      id: string;
      hooks: { receipts: string; replies: string } | null;
    }[];
    const aliHooks = listed.find((c) => c.id === ali.id)!.hooks!;
    const tcHooks = listed.find((c) => c.id === tc.id)!.hooks!;
    expect(aliHooks.receipts).toMatch(new RegExp(`^/hooks/${e.workspaceId}/channels/${ali.id}/receipts/[\\w-]{20,}$`));
    const post = (url: string, payload: unknown) =>
      app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });

    const wrong = await post(aliHooks.receipts.replace(/[^/]+$/, 'not-the-token-000000000'), []);
    expect(wrong.statusCode).toBe(401);
    const report = await post(aliHooks.receipts, [
      {
        phone_number: a1!.phone,
        send_time: '2026-11-23 10:00:01',
        report_time: '2026-11-23 10:00:05',
        success: true,
        err_code: 'DELIVERED',
        err_msg: '用户接收成功',
        sms_size: '1',
        biz_id: ma.get(a1!.id)!.provider_ref,
        out_id: ma.get(a1!.id)!.id,
      },
      {
        phone_number: a2!.phone,
        send_time: '2026-11-23 10:00:01',
        report_time: '2026-11-23 10:00:09',
        success: false,
        err_code: 'MK:0001',
        err_msg: '用户关机',
        sms_size: '1',
        biz_id: ma.get(a2!.id)!.provider_ref,
        out_id: ma.get(a2!.id)!.id,
      },
    ]);
    expect(report.statusCode).toBe(200);
    expect(report.json()).toEqual({ code: 0, msg: '成功' });
    const tcReport = await post(tcHooks.receipts, [
      {
        user_receive_time: '2026-11-23 10:00:06',
        nationcode: '86',
        mobile: t1!.phone,
        report_status: 'SUCCESS',
        errmsg: 'DELIVRD',
        description: '用户短信送达成功',
        sid: mt.get(t1!.id)!.provider_ref,
      },
      {
        user_receive_time: '2026-11-23 10:00:07',
        nationcode: '86',
        mobile: t2!.phone,
        report_status: 'FAIL',
        errmsg: 'UNDELIV',
        description: '空号',
        sid: mt.get(t2!.id)!.provider_ref,
      },
    ]);
    expect(tcReport.json()).toEqual({ result: 0, errmsg: 'OK' });
    const after = new Map([...(await messagesOf(e, 'rc-ali')), ...(await messagesOf(e, 'rc-tc'))]);
    expect(after.get(a1!.id)).toMatchObject({ status: 'sent', delivery: 'delivered', delivery_error: null });
    expect(new Date(String(after.get(a1!.id)!.delivered_at)).toISOString()).toBe('2026-11-23T02:00:05.000Z');
    expect(after.get(a2!.id)).toMatchObject({ status: 'sent', delivery: 'failed', delivery_error: 'MK:0001 用户关机' });
    expect(after.get(t1!.id)).toMatchObject({ delivery: 'delivered' });
    expect(after.get(t2!.id)).toMatchObject({ delivery: 'failed', delivery_error: 'UNDELIV 空号' });
    const view = await api('GET', `/messages?sourceId=rc-ali&limit=5`);
    expect(view.body.items.map((m: { delivery: string }) => m.delivery).sort()).toEqual(['delivered', 'failed']);

    // Replies: 退订 / TD opt the sender out of SMS, with the channel and text kept.
    const up = await post(aliHooks.replies, [
      {
        phone_number: a1!.phone,
        send_time: '2026-11-23 10:05:00',
        content: 'TD',
        sign_name: '回客旗舰店',
        dest_code: '1234',
        sequence_id: 1,
      },
    ]);
    expect(up.json()).toEqual({ code: 0, msg: '成功' });
    const tcUp = await post(tcHooks.replies, {
      extend: '',
      mobile: t1!.phone,
      nationcode: '86',
      sign: '回客旗舰店',
      text: '退订',
      time: 1795846000,
    });
    expect(tcUp.json()).toEqual({ result: 0, errmsg: 'OK' });
    const chat = await post(tcHooks.replies, {
      extend: '',
      mobile: t2!.phone,
      nationcode: '86',
      sign: '',
      text: '好的谢谢',
      time: 1795846000,
    });
    expect(chat.statusCode).toBe(200);
    const flags = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'opt_out_sms'])
      .where('workspace_id', '=', e.workspaceId)
      .where('id', 'in', [a1!.id, t1!.id, t2!.id])
      .execute();
    expect(Object.fromEntries(flags.map((f) => [f.id, f.opt_out_sms]))).toEqual({
      [a1!.id]: 1,
      [t1!.id]: 1,
      [t2!.id]: 0,
    });
    const replies = await e.db.kysely
      .selectFrom('inbound_replies')
      .select(['channel_id', 'body', 'action'])
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', a1!.id)
      .execute();
    expect(replies).toEqual([{ channel_id: ali.id, body: 'TD', action: 'opt_out' }]);
    const garbage = await post(aliHooks.receipts, { hello: 'world' });
    expect(garbage.statusCode).toBe(400);
  });

  it('企业微信 replies: 退订, N, R or TD from a customer opts them out of 企业微信 only, kept with the text', async () => {
    const e = env();
    const wc = await wecom('企业微信-回复');
    const [a, b, c] = await customers('wq', 3);
    const listed = (await api('GET', '/messaging/channels')).body.items as {
      id: string;
      hooks: { receipts: string; replies: string } | null;
    }[];
    const hooks = listed.find((x) => x.id === wc.id)!.hooks!;
    expect(hooks.replies).toMatch(new RegExp(`^/hooks/${e.workspaceId}/channels/${wc.id}/replies/[\\w-]{20,}$`));
    const msg = (to: string, content: string, origin = 3) => ({
      msgid: `m-${to}-${content}`,
      open_kfid: 'wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw',
      external_userid: to,
      send_time: 1795846000,
      origin,
      msgtype: 'text',
      text: { content },
    });
    const res = await app.inject({
      method: 'POST',
      url: hooks.replies,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        errcode: 0,
        errmsg: 'ok',
        next_cursor: '',
        has_more: 0,
        msg_list: [
          msg(`wm${a!.phone}`, '退订'),
          msg(`wm${b!.phone}`, ' n '),
          msg(`wm${c!.phone}`, '好的，谢谢'),
          // The member's own message in the same chat (origin 5) is not the customer's reply.
          msg(`wm${c!.phone}`, 'TD', 5),
          { ...msg(`wm${c!.phone}`, ''), msgtype: 'image', text: undefined },
        ],
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ errcode: 0, errmsg: 'ok' });
    const flags = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'opt_out_wechat', 'opt_out_sms'])
      .where('workspace_id', '=', e.workspaceId)
      .where('id', 'in', [a!.id, b!.id, c!.id])
      .execute();
    expect(Object.fromEntries(flags.map((f) => [f.id, [f.opt_out_wechat, f.opt_out_sms]]))).toEqual({
      [a!.id]: [1, 0],
      [b!.id]: [1, 0],
      [c!.id]: [0, 0],
    });
    const kept = await e.db.kysely
      .selectFrom('inbound_replies')
      .select(['customer_id', 'channel_id', 'body', 'action'])
      .where('workspace_id', '=', e.workspaceId)
      .where('channel_id', '=', wc.id)
      .orderBy('body')
      .execute();
    expect(kept).toEqual(
      expect.arrayContaining([
        { customer_id: a!.id, channel_id: wc.id, body: '退订', action: 'opt_out' },
        { customer_id: b!.id, channel_id: wc.id, body: ' n ', action: 'opt_out' },
        { customer_id: c!.id, channel_id: wc.id, body: '好的，谢谢', action: 'none' },
      ]),
    );
    expect(kept).toHaveLength(3);
    // A wrong token is refused, as on the SMS channels.
    const wrong = await app.inject({
      method: 'POST',
      url: hooks.replies.replace(/[^/]+$/, 'not-the-token-000000000'),
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ msg_list: [msg(`wm${c!.phone}`, '退订')] }),
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('企业微信 callback: the URL check and a signed, encrypted text are accepted; a bad signature gets 401', async () => {
    const e = env();
    const wc = await wecom('企业微信-回调');
    const [a, b] = await customers('wcb', 2);
    const listed = (await api('GET', '/messaging/channels')).body.items as ChannelListed[];
    const cb = listed.find((x) => x.id === wc.id)!.hooks!;
    // 企业微信 has no delivery receipts to post: no receipts address, the callback's settings instead.
    expect(cb.receipts).toBeNull();
    expect(cb.wecom).toEqual({
      url: `/hooks/${e.workspaceId}/channels/${wc.id}/wecom`,
      token: expect.stringMatching(/^[0-9a-f]{32}$/),
      encodingAesKey: expect.stringMatching(/^[0-9a-f]{43}$/),
    });
    const keys = { token: cb.wecom!.token, encodingAesKey: cb.wecom!.encodingAesKey, corpId: WECOM.corpId };
    const signed = (encrypted: string, token = keys.token) => {
      const sig = wecomSignature(token, '1795846000', 'n0nce', encrypted);
      return `msg_signature=${sig}&timestamp=1795846000&nonce=n0nce`;
    };
    // The URL check 企业微信 makes when the seller saves the address: the decrypted echostr comes back.
    const echo = wecomEncrypt(keys, '1616140317555161061');
    const check = await app.inject({
      method: 'GET',
      url: `${cb.wecom!.url}?${signed(echo)}&echostr=${encodeURIComponent(echo)}`,
    });
    expect(check.statusCode).toBe(200);
    expect(check.body).toBe('1616140317555161061');
    const push = (to: string, text: string, sign = signed) => {
      const inner =
        `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[${to}]]></FromUserName>` +
        `<CreateTime>1795846000</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
        `<Content><![CDATA[${text}]]></Content><MsgId>1234567890</MsgId><AgentID>1000002</AgentID></xml>`;
      const enc = wecomEncrypt(keys, inner);
      return app.inject({
        method: 'POST',
        url: `${cb.wecom!.url}?${sign(enc)}`,
        headers: { 'content-type': 'text/xml' },
        payload: `<xml><ToUserName><![CDATA[${WECOM.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`,
      });
    };
    const ok = await push(`wm${a!.phone}`, '退订');
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('success');
    // Signed with another Token: refused with what to check, and nobody is opted out.
    const forged = await push(`wm${b!.phone}`, '退订', (enc) => signed(enc, 'f'.repeat(32)));
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.message).toMatch(/msg_signature does not match/);
    const unsigned = await app.inject({
      method: 'POST',
      url: cb.wecom!.url,
      headers: { 'content-type': 'text/xml' },
      payload: '<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>',
    });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.json().error.message).toMatch(/msg_signature, timestamp and nonce/);
    // A JSON body nested 50,000 deep is text here like any other (it overflowed the stack: a 500 to anyone).
    const nested = await app.inject({
      method: 'POST',
      url: `${cb.wecom!.url}?msg_signature=x&timestamp=1&nonce=1`,
      headers: { 'content-type': 'application/json' },
      payload: `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    });
    expect(nested.statusCode, nested.body).toBeGreaterThanOrEqual(400);
    expect(nested.statusCode, nested.body).toBeLessThan(500);
    const flags = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'opt_out_wechat'])
      .where('workspace_id', '=', e.workspaceId)
      .where('id', 'in', [a!.id, b!.id])
      .execute();
    expect(Object.fromEntries(flags.map((f) => [f.id, f.opt_out_wechat]))).toEqual({ [a!.id]: 1, [b!.id]: 0 });
  });

  it('a 企业微信 channel made before callbacks existed gets its token from migration 0042', async () => {
    const e = env();
    const wc = await wecom('企业微信-旧');
    await e.db.kysely
      .updateTable('messaging_channels')
      .set({ hook_token: null })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', wc.id)
      .execute();
    const before = (await api('GET', '/messaging/channels')).body.items as ChannelListed[];
    expect(before.find((x) => x.id === wc.id)!.hooks).toBeNull();
    await channelHookTokens(e.db.dialect).up(e.db.kysely as never);
    const after = (await api('GET', '/messaging/channels')).body.items as ChannelListed[];
    expect(after.find((x) => x.id === wc.id)!.hooks!.wecom!.url).toBe(
      `/hooks/${e.workspaceId}/channels/${wc.id}/wecom`,
    );
  });

  it('a channel is edited by PATCH: name, settings merged, credentials replaced and never returned', async () => {
    const e = env();
    const ch = await aliyun('阿里云-编辑');
    const before = await e.db.kysely
      .selectFrom('messaging_channels')
      .select('secret')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    const r = await api('PATCH', `/messaging/channels/${ch.id}`, {
      name: '阿里云-营销',
      config: { templateCode: 'SMS_999000111' },
      credentials: { accessKeyId: 'LTAI5tOtherKey0000001', accessKeySecret: 'another-secret-value-000' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: '阿里云-营销', kind: 'aliyun_sms', hasCredentials: true });
    expect(r.body.config).toMatchObject({ templateCode: 'SMS_999000111', signName: '回客旗舰店', endpoint: fake.url });
    expect(JSON.stringify(r.body)).not.toContain('another-secret-value');
    const row = await e.db.kysely
      .selectFrom('messaging_channels')
      .select(['secret', 'name'])
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toBe(before.secret);
    expect(row.secret).not.toContain('another-secret');
    const listed = await api('GET', '/messaging/channels');
    expect(JSON.stringify(listed.body)).not.toMatch(/another-secret|fake-aliyun-secret/);

    const bad = await api('PATCH', `/messaging/channels/${ch.id}`, { config: { templateCode: '12345' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/templateCode/);
    const badCred = await api('PATCH', `/messaging/channels/${ch.id}`, { credentials: { accessKeyId: 'x' } });
    expect(badCred.status).toBe(400);
    const clash = await api('PATCH', `/messaging/channels/${ch.id}`, { name: '阿里云短信' });
    expect(clash.status).toBe(409);
    // The new credentials are the ones used: the fake knows only the old key, so it refuses the signature.
    const test = await api('POST', `/messaging/channels/${ch.id}/test`, { to: '13700009999', text: '测试' });
    expect(test.status).toBe(400);
    expect(test.body.error.message).toMatch(/SignatureDoesNotMatch|InvalidAccessKeyId/);
    await api('PATCH', `/messaging/channels/${ch.id}`, { credentials: ALIYUN_CRED });
    expect((await api('POST', `/messaging/channels/${ch.id}/test`, { to: '13700009999', text: '测试' })).status).toBe(
      200,
    );
  });

  it('a test send goes out through each kind; several Aliyun numbers go as one SendBatchSms', async () => {
    const ali = await aliyun('阿里云-测试');
    const tc = await tencent('腾讯云-测试');
    const wc = await wecom('企业微信-测试');
    const batchCalls = fake.calls['aliyun.SendBatchSms'] ?? 0;
    const one = await api('POST', `/messaging/channels/${ali.id}/test`, {
      to: '13700008881',
      text: '【回客旗舰店】测试短信',
    });
    expect(one.status).toBe(200);
    expect(fake.sent.at(-1)).toMatchObject({ to: '13700008881', text: '测试短信', sign: '回客旗舰店' });
    const many = await api('POST', `/messaging/channels/${ali.id}/test`, {
      to: '13700008882, 13700008883',
      text: '批量测试',
    });
    expect(many.status).toBe(200);
    expect(fake.calls['aliyun.SendBatchSms']).toBe(batchCalls + 1);
    expect(fake.sent.slice(-2).map((s) => s.to)).toEqual(['13700008882', '13700008883']);
    expect(
      (await api('POST', `/messaging/channels/${tc.id}/test`, { to: '13700008884', text: '腾讯测试' })).status,
    ).toBe(200);
    expect(fake.sent.at(-1)).toMatchObject({ provider: 'tencent', to: '+8613700008884', text: '腾讯测试' });
    expect(
      (await api('POST', `/messaging/channels/${wc.id}/test`, { to: 'wmStaff001', text: '企微测试' })).status,
    ).toBe(200);
    expect(fake.sent.at(-1)).toMatchObject({ provider: 'wecom', to: 'wmStaff001', text: '企微测试' });
    const refused = await api('POST', `/messaging/channels/${tc.id}/test`, { to: '12345', text: 'x' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/IncorrectPhoneNumber/);
    expect(fake.rejected).toEqual([]);
  });
});
