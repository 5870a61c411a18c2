import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { type Reason, renderReason } from '../../src/core/reasons.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import {
  createChannel,
  getMessagingSettings,
  handleReply,
  listChannels,
  listMessages,
  recordBatch,
  setMessagingSettings,
  testSend,
} from '../../src/modules/messaging/service.js';
import { signPayload, verifySignature } from '../../src/modules/messaging/providers.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { type CustomerSpec, seedCustomers, sendAll } from '../support/messaging.js';

const KEY = 'test-secret-key-0123456789abcdef';
// 10:00 in Shanghai: inside the 09:30–12:00 window.
const MORNING = '2026-11-23T02:00:00.000Z';

const batch = (over: Partial<Parameters<typeof recordBatch>[2]> & { channelId: string; customerIds: string[] }) => ({
  sourceType: 'test',
  sourceId: 'batch-1',
  step: 'main',
  kind: 'marketing' as const,
  variants: [{ key: null, content: { text: '#客户昵称#，会员日全场 8 折' } }],
  variantOf: () => 0,
  linkUrl: null,
  budgetFen: null,
  state: { seen: new Set<string>(), spentFen: 0 },
  dry: false,
  ...over,
});

async function statusOf(env: TestEnv, sourceId: string) {
  const rows = await env.db.kysely
    .selectFrom('messages')
    .select(['customer_id', 'status', 'reason', 'id', 'body', 'send_at'])
    .where('workspace_id', '=', env.workspaceId)
    .where('source_id', '=', sourceId)
    .execute();
  return new Map(rows.map((r) => [r.customer_id, r]));
}

describeBothDatabases('messaging', (env) => {
  let ids: Record<string, string>;
  let outbox: string;
  const worker = () => createWorker(env().ctx, { handlers: jobHandlers });

  beforeAll(async () => {
    const e = env();
    e.setNow(MORNING);
    process.env.HUIKE_SECRET_KEY = KEY;
    const specs: CustomerSpec[] = [
      { nick: 'ok1', phone: '13800000001', email: 'ok1@example.com' },
      { nick: 'ok2', phone: '13800000002', email: 'ok2@example.com' },
      { nick: 'twin', phone: '13800000011' },
      { nick: 'masked', phone: '13800000003' },
      { nick: 'unknown', phone: '13800000004', consent: null },
      { nick: 'denied', phone: '13800000005', consent: false },
      { nick: 'black', phone: '13800000006' },
      { nick: 'bad', phone: '13800000007' },
      { nick: 'picky', phone: '13800000008' },
      { nick: 'optout', phone: '13800000009', email: 'optout@example.com' },
      { nick: 'capped', phone: '13800000010' },
    ];
    ids = await seedCustomers(e, specs);
    const k = e.db.kysely;
    const flag = async (nick: string, set: Record<string, number>) =>
      k
        .updateTable('customers')
        .set(set)
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', ids[nick]!)
        .execute();
    // Two customer records of one person (same phone), and a phone only known masked.
    await k.updateTable('customers').set({ phone: '13800000001' }).where('id', '=', ids.twin!).execute();
    await k.updateTable('customers').set({ phone: '138****0003' }).where('id', '=', ids.masked!).execute();
    await flag('black', { is_blacklisted: 1 });
    await flag('bad', { is_bad_reviewer: 1 });
    await flag('picky', { is_picky: 1 });
    await flag('optout', { opt_out_sms: 1 });
    outbox = (await createChannel(e.ctx, e.workspaceId, { name: '发件箱', kind: 'outbox', config: { medium: 'sms' } }))
      .id;
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
  });
  afterAll(() => {
    delete process.env.HUIKE_SECRET_KEY;
  });

  it('a marketing SMS without a shop signature is refused before anything is queued', async () => {
    const e = env();
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '' });
    await expect(
      recordBatch(e.ctx, e.workspaceId, batch({ channelId: outbox, customerIds: [ids.ok1!] })),
    ).rejects.toThrow(/signature/);
    await setMessagingSettings(e.ctx, e.workspaceId, { smsSignature: '回客旗舰店' });
    expect((await listMessages(e.ctx, e.workspaceId, { limit: 10 }, 'owner')).items).toEqual([]);
  });

  it(
    'records every decision with its reason, once per ' + '(source, customer, step), and sends through the queue',
    async () => {
      const e = env();
      // An earlier marketing message 10 days ago to "capped", from another source.
      await recordBatch(
        e.ctx,
        e.workspaceId,
        batch({ sourceId: 'earlier', channelId: outbox, customerIds: [ids.capped!] }),
      );
      const all = Object.values(ids);
      const tally = await recordBatch(e.ctx, e.workspaceId, batch({ channelId: outbox, customerIds: all }));
      expect(tally.sendNow).toBe(2);
      expect(tally.skipped).toEqual({
        duplicate_contact: 1,
        masked_contact: 1,
        no_consent: 1,
        consent_denied: 1,
        blacklisted: 1,
        bad_reviewer: 1,
        picky: 1,
        opted_out: 1,
        frequency_cap: 1,
      });
      // 【回客旗舰店】ok1，会员日全场 8 折 拒收请回复R = one SMS at ¥0.05
      expect(tally.parts).toBe(2);
      expect(tally.costFen).toBe(10);
      const again = await recordBatch(e.ctx, e.workspaceId, batch({ channelId: outbox, customerIds: all }));
      expect(again.sendNow).toBe(2); // decided again, but nothing new is written:
      const count = await e.db.kysely
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', e.workspaceId)
        .where('source_id', '=', 'batch-1')
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(all.length);
      // Three messages wait (capped's earlier one, ok1, ok2): one batched delivery run, no job per message.
      const jobs = await e.db.kysely
        .selectFrom('jobs')
        .select('kind')
        .where('workspace_id', '=', e.workspaceId)
        .where('kind', 'in', ['message.send', 'messages.deliver'])
        .execute();
      expect(jobs).toEqual([{ kind: 'messages.deliver' }]);

      await sendAll(e, worker(), 'batch-1');
      const st = await statusOf(e, 'batch-1');
      expect(st.get(ids.ok1!)).toMatchObject({
        status: 'sent',
        body: '【回客旗舰店】ok1，会员日全场 8 折 拒收请回复R',
      });
      expect(st.get(ids.twin!)).toMatchObject({ status: 'skipped', reason: 'duplicate_contact' });
      expect(st.get(ids.capped!)).toMatchObject({ status: 'skipped', reason: 'frequency_cap' });

      const outboxView = await listMessages(
        e.ctx,
        e.workspaceId,
        { channelId: outbox, status: 'sent', limit: 10 },
        'agent',
      );
      expect(outboxView.items.map((m) => m.contact).sort()).toContain('138****0001');
      const timeline = await customerTimeline(e.ctx, e.workspaceId, ids.masked!);
      expect(timeline.find((t) => t.kind === 'message.skipped')?.title).toMatch(/联系方式已脱敏/);
    },
  );

  it('an empty template value holds the message with that reason', async () => {
    const e = env();
    const t = await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({
        sourceId: 'names',
        kind: 'care',
        channelId: outbox,
        customerIds: [ids.ok2!],
        variants: [{ key: null, content: { text: '#姓名#您好，您的订单#订单号#已发货' } }],
      }),
    );
    expect(t.skipped).toEqual({ missing_value: 1 });
    const m = (await statusOf(e, 'names')).get(ids.ok2!)!;
    expect(m).toMatchObject({ status: 'skipped', reason: 'missing_value' });
    const detail = await e.db.kysely
      .selectFrom('messages')
      .select('detail')
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(detail.detail).toBe('#姓名#');
  });

  it('outside the windows a message waits for the next one and goes then', async () => {
    const e = env();
    e.setNow('2026-11-23T14:30:00.000Z'); // 22:30 in Shanghai
    await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({ sourceId: 'night', kind: 'care', channelId: outbox, customerIds: [ids.ok2!] }),
    );
    const m = (await statusOf(e, 'night')).get(ids.ok2!)!;
    expect(m.send_at).toBe('2026-11-24T00:00:00.000Z'); // 08:00 the next morning
    const w = worker();
    await w.drain();
    expect((await statusOf(e, 'night')).get(ids.ok2!)!.status).toBe('queued');
    e.setNow('2026-11-24T00:00:30.000Z');
    await w.drain();
    expect((await statusOf(e, 'night')).get(ids.ok2!)!.status).toBe('sent');
    e.setNow(MORNING);
  });

  it("windows are read in each customer's store zone", async () => {
    const e = env();
    const ny = await seedCustomers(e, [{ nick: 'ny1', phone: '13800000123' }], 'Shopify NY');
    await e.db.kysely
      .updateTable('stores')
      .set({ timezone: 'America/New_York' })
      .where('workspace_id', '=', e.workspaceId)
      .where('name', '=', 'Shopify NY')
      .execute();
    const sh = await seedCustomers(e, [{ nick: 'sh1', phone: '13800000124' }]);
    e.setNow('2026-11-23T03:00:00.000Z'); // 11:00 in Shanghai, 22:00 the day before in New York
    await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({ sourceId: 'zones', channelId: outbox, customerIds: [ny.ny1!, sh.sh1!] }),
    );
    const st = await statusOf(e, 'zones');
    expect(st.get(sh.sh1!)!.send_at).toBe('2026-11-23T03:00:00.000Z');
    expect(st.get(ny.ny1!)!.send_at).toBe('2026-11-23T14:30:00.000Z'); // 09:30 in New York
    e.setNow(MORNING);
  });

  it('a marketing SMS never goes outside 08:00–22:00, whatever the windows; an email may', async () => {
    const e = env();
    await setMessagingSettings(e.ctx, e.workspaceId, { windows: [{ start: '06:00', end: '23:30' }] });
    const mailbox = (
      await createChannel(e.ctx, e.workspaceId, { name: '邮件发件箱', kind: 'outbox', config: { medium: 'email' } })
    ).id;
    const early = await seedCustomers(e, [{ nick: 'early1', phone: '13800000131', email: 'early1@example.com' }]);
    e.setNow('2026-11-22T23:00:00.000Z'); // 07:00 in Shanghai
    await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({ sourceId: 'early-sms', channelId: outbox, customerIds: [early.early1!] }),
    );
    await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({ sourceId: 'early-mail', channelId: mailbox, customerIds: [early.early1!] }),
    );
    expect((await statusOf(e, 'early-sms')).get(early.early1!)!.send_at).toBe('2026-11-23T00:00:00.000Z'); // 08:00
    // The SMS already holds this month's marketing slot: the e-mail is capped, one counter across channels.
    expect((await statusOf(e, 'early-mail')).get(early.early1!)).toMatchObject({
      status: 'skipped',
      reason: 'frequency_cap',
    });
    await setMessagingSettings(e.ctx, e.workspaceId, { capCount: 2 });
    await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({ sourceId: 'early-mail-2', channelId: mailbox, customerIds: [early.early1!] }),
    );
    expect((await statusOf(e, 'early-mail-2')).get(early.early1!)!.send_at).toBe('2026-11-22T23:00:00.000Z'); // now
    await setMessagingSettings(e.ctx, e.workspaceId, {
      capCount: 1,
      windows: [
        { start: '09:30', end: '12:00' },
        { start: '14:00', end: '18:00' },
        { start: '20:00', end: '21:30' },
      ],
    });
    e.setNow(MORNING);
  });

  it('a reply of R, T, TD, N or 退订 opts the sender out of that channel, with its source kept', async () => {
    const e = env();
    expect(
      await handleReply(e.ctx, e.workspaceId, { channelId: outbox, from: '+86 138 0000 0002', text: '好的谢谢' }),
    ).toEqual({
      optOut: false,
      customerIds: [ids.ok2],
    });
    const r = await handleReply(e.ctx, e.workspaceId, { channelId: outbox, from: '13800000002', text: ' td ' });
    expect(r).toEqual({ optOut: true, customerIds: [ids.ok2] });
    const c = await e.db.kysely
      .selectFrom('customers')
      .select(['opt_out_sms', 'opt_out_email'])
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', ids.ok2!)
      .executeTakeFirstOrThrow();
    expect(c).toEqual({ opt_out_sms: 1, opt_out_email: 0 });
    const tl = await customerTimeline(e.ctx, e.workspaceId, ids.ok2!);
    expect(tl.find((t) => t.kind === 'message.opt_out')?.title).toBe('回复「 td 」退订');
    for (const word of ['R', 't', 'N', '退订', 'TD。'])
      expect((await import('../../src/modules/messaging/service.js')).isOptOutReply(word)).toBe(true);
    await e.db.kysely.updateTable('customers').set({ opt_out_sms: 0 }).where('id', '=', ids.ok2!).execute();
  });

  it('对外网址 follows the server’s own address until it is named; another rule’s change does not fix it', async () => {
    const e = env();
    const ws = 'ws-public-url';
    await e.db.kysely
      .insertInto('workspaces')
      .values({ id: ws, name: '网址店', timezone: 'Asia/Shanghai', created_at: e.ctx.now().toISOString() })
      .execute();
    const before = process.env.HUIKE_PUBLIC_URL;
    try {
      process.env.HUIKE_PUBLIC_URL = 'http://127.0.0.1:4711';
      // The demo changes its send rules before the server knows its port: the default of that moment stays unstored.
      expect((await setMessagingSettings(e.ctx, ws, { capDays: 10 })).settings.publicUrl).toBe('http://127.0.0.1:4711');
      process.env.HUIKE_PUBLIC_URL = 'http://127.0.0.1:4722';
      expect((await getMessagingSettings(e.ctx, ws)).publicUrl).toBe('http://127.0.0.1:4722');
      expect((await getMessagingSettings(e.ctx, ws)).capDays).toBe(10);
      // Named once, it is the shop's, wherever the server listens, and kept through later changes.
      await setMessagingSettings(e.ctx, ws, { publicUrl: 'https://crm.example.cn' });
      await setMessagingSettings(e.ctx, ws, { capDays: 20 });
      process.env.HUIKE_PUBLIC_URL = 'http://127.0.0.1:4733';
      expect(await getMessagingSettings(e.ctx, ws)).toMatchObject({ publicUrl: 'https://crm.example.cn', capDays: 20 });
    } finally {
      if (before === undefined) delete process.env.HUIKE_PUBLIC_URL;
      else process.env.HUIKE_PUBLIC_URL = before;
    }
  });

  it('a new workspace lists its built-in outbox before the first message, so the console can offer it', async () => {
    const e = env();
    const ws = 'ws-fresh-outbox';
    await e.db.kysely
      .insertInto('workspaces')
      .values({ id: ws, name: '新店', timezone: 'Asia/Shanghai', created_at: e.ctx.now().toISOString() })
      .execute();
    const first = await listChannels(e.ctx, ws);
    expect(first.map((c) => c.kind)).toEqual(['outbox']);
    // Listed once, not created again on every look.
    expect((await listChannels(e.ctx, ws)).map((c) => c.id)).toEqual([first[0]!.id]);
  });

  it('credentials are refused without HUIKE_SECRET_KEY, stored encrypted, never returned', async () => {
    const e = env();
    delete process.env.HUIKE_SECRET_KEY;
    const input = {
      name: '邮件',
      kind: 'email',
      config: { host: '127.0.0.1', port: 2525, user: 'shop', from: 'shop@example.com' },
      credentials: { password: 'smtp-password-1' },
    };
    await expect(createChannel(e.ctx, e.workspaceId, input)).rejects.toThrow(/HUIKE_SECRET_KEY/);
    expect((await listChannels(e.ctx, e.workspaceId)).map((c) => c.name)).not.toContain('邮件');
    process.env.HUIKE_SECRET_KEY = KEY;
    const ch = await createChannel(e.ctx, e.workspaceId, input);
    expect(ch.hasCredentials).toBe(true);
    expect(JSON.stringify(await listChannels(e.ctx, e.workspaceId))).not.toContain('smtp-password-1');
    const row = await e.db.kysely
      .selectFrom('messaging_channels')
      .select('secret')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain('smtp-password');
    await e.db.kysely.deleteFrom('messaging_channels').where('id', '=', ch.id).execute();
  });

  it('a channel’s settings that could not work are refused: a sender no address, a 5,000-character host', async () => {
    const e = env();
    const email = (config: Record<string, unknown>) =>
      createChannel(e.ctx, e.workspaceId, {
        name: `邮件 ${Object.keys(config).join(' ')}`,
        kind: 'email',
        config: { host: '127.0.0.1', port: 2525, from: 'shop@example.com', ...config },
      });
    for (const config of [
      { from: 'abc' },
      { replyTo: 'not-an-address' },
      { host: 'h'.repeat(5000) },
      { host: 'smtp.example.com/../x' },
      { user: 'u'.repeat(400) },
    ])
      await expect(email(config), JSON.stringify(config).slice(0, 60)).rejects.toMatchObject({ code: 'invalid' });
    const hook = createChannel(e.ctx, e.workspaceId, {
      name: '长地址',
      kind: 'webhook',
      config: { url: `https://${'h'.repeat(100_000)}.example.com/` },
      credentials: { signingSecret: 'whsec-0123456789abcdef' },
    });
    await expect(hook).rejects.toMatchObject({ code: 'invalid' });
    const named = await email({ from: '回客旗舰店 <shop@example.com>', replyTo: 'service@example.com' });
    expect(named.config).toMatchObject({ from: '回客旗舰店 <shop@example.com>' });
    await e.db.kysely.deleteFrom('messaging_channels').where('id', '=', named.id).execute();
  });

  it('a test send that reaches no server says which address and why, in the seller’s words', async () => {
    const e = env();
    // A port nothing listens on: a server taken up and let go again.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const ch = await createChannel(e.ctx, e.workspaceId, {
      name: '连不上的邮箱',
      kind: 'email',
      config: { host: '127.0.0.1', port, user: 'shop', from: 'shop@example.com' },
      credentials: { password: 'smtp-password-1' },
    });
    try {
      const sent = testSend(e.ctx, e.workspaceId, ch.id, { to: 'boss@example.com', text: '测试' });
      await expect(sent).rejects.toMatchObject({
        reason: { key: 'channel.testUnreachable', params: { host: `127.0.0.1:${port}` } },
      });
      const text = renderReason(((await sent.catch((x: unknown) => x)) as { reason: Reason }).reason, 'zh-CN');
      expect(text).toBe(`测试消息没有发出：连不上 127.0.0.1:${port}（对方拒绝连接，请检查地址和端口）`);
    } finally {
      await e.db.kysely.deleteFrom('messaging_channels').where('id', '=', ch.id).execute();
    }
  });

  it('email goes over SMTP with HTML, text and one-click List-Unsubscribe, which opts out', async () => {
    const e = env();
    const received: ParsedMail[] = [];
    const smtp = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _s, cb) {
        if (auth.username === 'shop' && auth.password === 'smtp-password-1') cb(null, { user: 'shop' });
        else cb(new Error('bad login'));
      },
      onData(stream, _s, cb) {
        simpleParser(stream)
          .then((m) => {
            received.push(m);
            cb();
          })
          .catch(cb);
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as AddressInfo).port;
    try {
      const ch = await createChannel(e.ctx, e.workspaceId, {
        name: 'SMTP',
        kind: 'email',
        config: { host: '127.0.0.1', port, user: 'shop', from: '回客旗舰店 <shop@example.com>' },
        credentials: { password: 'smtp-password-1' },
      });
      const { mail1 } = await seedCustomers(e, [{ nick: 'mail1', email: 'Mail1@Example.com' }]);
      await recordBatch(
        e.ctx,
        e.workspaceId,
        batch({
          sourceId: 'mail',
          channelId: ch.id,
          customerIds: [mail1!],
          variants: [
            {
              key: null,
              content: {
                subject: '#客户昵称#，双12 会员价',
                text: '您好 #客户昵称#\n会员价已开启',
                html: '<h1>#客户昵称#</h1><p>会员价已开启</p>',
              },
            },
          ],
        }),
      );
      await sendAll(e, worker(), 'mail');
      expect(received).toHaveLength(1);
      const mail = received[0]!;
      expect(mail.subject).toBe('mail1，双12 会员价');
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('mail1@example.com');
      const header = (name: string) =>
        mail.headerLines
          .find((h) => h.key === name)
          ?.line.slice(name.length + 1)
          .trim();
      expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
      const url = new URL(/^<(.+)>$/.exec(header('list-unsubscribe') ?? '')![1]!);
      expect(url.pathname).toMatch(/^\/u\//);
      // The unsubscribe link is in the mail itself too, where the reader sees it: the text's last line, the HTML's.
      expect(mail.text?.trim()).toBe(`您好 mail1\n会员价已开启\n\n不想再收到这类邮件？退订：${url.href}`);
      expect(mail.html).toContain('<h1>mail1</h1>');
      expect(mail.html).toContain(`<a href="${url.href}">退订</a>`);
      const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-msg-') });
      const res = await app.inject({
        method: 'POST',
        url: url.pathname,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(res.statusCode).toBe(200);
      await app.close();
      const c = await e.db.kysely
        .selectFrom('customers')
        .select('opt_out_email')
        .where('id', '=', mail1!)
        .executeTakeFirstOrThrow();
      expect(c.opt_out_email).toBe(1);
      const tl = await customerTimeline(e.ctx, e.workspaceId, mail1!);
      expect(tl.map((t) => t.kind)).toEqual(expect.arrayContaining(['message.sent', 'message.opt_out']));
    } finally {
      await new Promise<void>((r) => smtp.close(() => r()));
    }
  });

  it('a signed webhook that fails at random still ends with every recipient sent exactly once', async () => {
    const e = env();
    const secret = 'whsec-0123456789abcdef';
    const accepted = new Map<string, number>();
    const rnd = new Random(7);
    let badSignatures = 0;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const ok = verifySignature(
          secret,
          {
            timestamp: req.headers['x-huike-timestamp'] as string,
            signature: req.headers['x-huike-signature'] as string,
          },
          body,
          e.ctx.now(),
        );
        if (!ok) badSignatures += 1;
        // 30 % of calls fail: half before the receiver keeps the message, half after.
        const roll = rnd.next();
        if (roll < 0.15) return res.writeHead(503).end('busy');
        const key = req.headers['idempotency-key'] as string;
        if (roll < 0.3) return res.writeHead(500).end('crashed after receiving');
        accepted.set(key, (accepted.get(key) ?? 0) + 1);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const ch = await createChannel(e.ctx, e.workspaceId, {
        name: 'Webhook',
        kind: 'webhook',
        config: { url: `http://127.0.0.1:${port}/sms`, medium: 'sms' },
        credentials: { signingSecret: secret },
      });
      const many = await seedCustomers(
        e,
        Array.from({ length: 30 }, (_, i) => ({ nick: `wh${i}`, phone: `1390000${String(i).padStart(4, '0')}` })),
        '抖音小店',
      );
      await recordBatch(
        e.ctx,
        e.workspaceId,
        batch({ sourceId: 'hook', kind: 'care', channelId: ch.id, customerIds: Object.values(many) }),
      );
      await sendAll(e, worker(), 'hook', 60_000);
      const st = await statusOf(e, 'hook');
      expect([...st.values()].every((m) => m.status === 'sent')).toBe(true);
      expect(accepted.size).toBe(30);
      expect([...accepted.values()].every((n) => n === 1)).toBe(true);
      expect(badSignatures).toBe(0);
      // The inbound-reply hook checks the same signature.
      const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-msg-') });
      const body = JSON.stringify({ from: '13900000003', text: '退订' });
      const path = `/hooks/${e.workspaceId}/channels/${ch.id}/replies`;
      const ts = String(Math.floor(e.ctx.now().getTime() / 1000));
      const forged = await app.inject({
        method: 'POST',
        url: path,
        headers: {
          'content-type': 'application/json',
          'x-huike-timestamp': ts,
          'x-huike-signature': signPayload('wrong-secret', ts, body),
        },
        payload: body,
      });
      expect(forged.statusCode).toBe(401);
      const stale = String(Number(ts) - 3600);
      const replayed = await app.inject({
        method: 'POST',
        url: path,
        headers: {
          'content-type': 'application/json',
          'x-huike-timestamp': stale,
          'x-huike-signature': signPayload(secret, stale, body),
        },
        payload: body,
      });
      expect(replayed.statusCode).toBe(401);
      const good = await app.inject({
        method: 'POST',
        url: path,
        headers: {
          'content-type': 'application/json',
          'x-huike-timestamp': ts,
          'x-huike-signature': signPayload(secret, ts, body),
        },
        payload: body,
      });
      expect(good.statusCode).toBe(200);
      expect(good.json()).toEqual({ optOut: true, customerIds: [many.wh3] });
      // Signed, but text no database keeps as sent (PostgreSQL answered 500, SQLite stored a NUL), or a key it
      // does not take: refused with the field named, nothing kept.
      const refused = async (payload: string) =>
        app.inject({
          method: 'POST',
          url: path,
          headers: {
            'content-type': 'application/json',
            'x-huike-timestamp': ts,
            'x-huike-signature': signPayload(secret, ts, payload),
          },
          payload,
        });
      const repliesBefore = await e.db.kysely
        .selectFrom('inbound_replies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', e.workspaceId)
        .executeTakeFirstOrThrow();
      const nul = await refused('{"from":"13900000004","text":"hi\\u0000there"}');
      expect(nul.statusCode).toBe(400);
      expect(nul.json().error.reason).toMatchObject({ key: 'input.nulChar', params: { field: 'body.text' } });
      const half = await refused('{"from":"13900000004","text":"hi \\ud800"}');
      expect(half.statusCode).toBe(400);
      expect(half.json().error.reason.key).toBe('input.brokenChar');
      const ancient = await refused(
        JSON.stringify({ from: '13900000004', text: 'TD', receivedAt: '1970-01-01T00:00:00Z' }),
      );
      expect(ancient.statusCode).toBe(400);
      expect(ancient.json().error.message).toMatch(/receivedAt/);
      const extra = await refused(JSON.stringify({ from: '13900000004', text: 'hi', customerId: many.wh4 }));
      expect(extra.statusCode).toBe(400);
      expect(extra.json().error.message).toMatch(/customerId/);
      const repliesAfter = await e.db.kysely
        .selectFrom('inbound_replies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', e.workspaceId)
        .executeTakeFirstOrThrow();
      expect(Number(repliesAfter.n)).toBe(Number(repliesBefore.n));
      await app.close();
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a refused address fails at once and stays visible with its error', async () => {
    const e = env();
    const server = createServer((_req, res) => res.writeHead(422).end('invalid number'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const ch = await createChannel(e.ctx, e.workspaceId, {
        name: 'Refusing',
        kind: 'webhook',
        config: { url: `http://127.0.0.1:${port}/`, medium: 'sms' },
        credentials: { signingSecret: 'whsec-0123456789abcdef' },
      });
      await recordBatch(
        e.ctx,
        e.workspaceId,
        batch({ sourceId: 'refused', kind: 'care', channelId: ch.id, customerIds: [ids.ok2!] }),
      );
      await sendAll(e, worker(), 'refused');
      const m = await listMessages(e.ctx, e.workspaceId, { sourceId: 'refused', limit: 5 }, 'owner');
      expect(m.items[0]).toMatchObject({ status: 'failed', attempts: 1 });
      expect(m.items[0]!.error).toMatch(/422/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('links go through /r/{code}, counting clicks per recipient', async () => {
    const e = env();
    await recordBatch(
      e.ctx,
      e.workspaceId,
      batch({
        sourceId: 'links',
        kind: 'care',
        channelId: outbox,
        customerIds: [ids.ok2!],
        linkUrl: 'https://shop.example.com/sale',
        variants: [{ key: null, content: { text: '新品上架 #链接#' } }],
      }),
    );
    const m = (await statusOf(e, 'links')).get(ids.ok2!)!;
    const code = /\/r\/(\S+)/.exec(m.body ?? '')![1]!;
    expect(code.startsWith(`${e.workspaceId}.`)).toBe(true);
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-msg-') });
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: `/r/${code}` });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('https://shop.example.com/sale');
    }
    expect((await app.inject({ method: 'GET', url: `/r/${e.workspaceId}.nope` })).statusCode).toBe(404);
    await app.close();
    const row = await e.db.kysely
      .selectFrom('messages')
      .select('clicks')
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(row.clicks).toBe(2);
  });
});
