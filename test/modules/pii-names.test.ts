import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_QUESTIONS } from '../../src/core/surveys.js';
import { createUser } from '../../src/modules/auth/service.js';
import { createSurvey, inviteCustomer } from '../../src/modules/feedback/surveys.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * Lists that name a customer beside something else — service tasks, feedback — show a role without `pii:read` the
 * name as the customer list does (a real name masked, 张** ; a nick kept) and the free text about them masked (the
 * real name and phones in a complaint or a task's notes). They showed the real name and the phone whole.
 */
describeBothDatabases('customer names in lists, by role', (env) => {
  let app: FastifyInstance;
  let named = '';
  let nicked = '';
  const cookies: Record<string, string> = {};
  const call = (role: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { 'x-huike-client': 'test', cookie: cookies[role]! },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '名字测试店', 'taobao');
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        // Known only by the real name (no nick): the name is what lists show.
        orderRecord({
          line: 1,
          externalId: 'PN-1',
          createdAt: '2026-11-01T02:00:00.000Z',
          paidFen: 9900,
          buyer: { nick: null, externalId: null, email: null, phone: '13900000021', name: '张丽华' },
          receiverPhone: '13900000021',
          receiverName: '张丽华',
        }),
        orderRecord({
          line: 2,
          externalId: 'PN-2',
          createdAt: '2026-11-01T02:00:00.000Z',
          paidFen: 9900,
          buyer: { nick: 'pn_nick', externalId: null, email: null, phone: '13900000022', name: '李强' },
          receiverPhone: '13900000022',
          receiverName: '李强',
        }),
      ]),
    );
    const cs = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name', 'real_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    named = cs.find((c) => c.display_name === '张丽华')!.id;
    nicked = cs.find((c) => c.display_name === 'pn_nick')!.id;
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-pn-') });
    for (const role of ['owner', 'agent', 'marketer'] as const) {
      await createUser(e.ctx, e.workspaceId, { login: `pn_${role}`, password: 'secret-pass-9', role });
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: `pn_${role}`, password: 'secret-pass-9' },
      });
      cookies[role] = String(r.headers['set-cookie']).split(';')[0]!;
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a task names the customer and its notes as the role may see them', async () => {
    const made = await call('owner', 'POST', '/tasks', {
      type: 'revisit',
      customerId: named,
      dueAt: '2026-12-01T02:00:00.000Z',
      title: '回访张丽华',
      notes: '张丽华说打 13900000021 找她',
    });
    expect(made.statusCode, made.body).toBe(200);
    expect(made.json()).toMatchObject({ customerName: '张丽华', title: '回访张丽华' });
    const id = made.json().id as string;
    const seen = async (role: string) => {
      const list = (await call(role, 'GET', '/tasks?status=open')).json().items as {
        id: string;
        customerName: string;
        title: string;
        notes: string;
      }[];
      const one = (await call(role, 'GET', `/tasks/${id}`)).json();
      const mine = list.find((t) => t.id === id)!;
      return [mine.customerName, mine.title, mine.notes, one.customerName, one.notes];
    };
    expect(await seen('owner')).toEqual([
      '张丽华',
      '回访张丽华',
      '张丽华说打 13900000021 找她',
      '张丽华',
      '张丽华说打 13900000021 找她',
    ]);
    expect(await seen('agent')).toEqual([
      '张**',
      '回访张**',
      '张**说打 139****0021 找她',
      '张**',
      '张**说打 139****0021 找她',
    ]);
  });

  it('feedback names the customer and masks the complaint for a role without personal data', async () => {
    for (const [customerId, body] of [
      [named, '张丽华：快递太慢，电话 13900000021'],
      [nicked, '李强说包装破了'],
    ])
      expect((await call('owner', 'POST', '/feedback', { customerId, body })).statusCode).toBeLessThan(300);
    const seen = async (role: string) =>
      ((await call(role, 'GET', '/feedback')).json().items as { customerName: string; body: string }[])
        .map((f) => [f.customerName, f.body])
        .sort();
    expect(await seen('owner')).toEqual([
      ['pn_nick', '李强说包装破了'],
      ['张丽华', '张丽华：快递太慢，电话 13900000021'],
    ]);
    // The nick stays (a seller finds the buyer by it); the real names and the phone are masked.
    expect(await seen('marketer')).toEqual([
      ['pn_nick', '李*说包装破了'],
      ['张**', '张**：快递太慢，电话 139****0021'],
    ]);
  });

  it("a survey's recent answers name the customer and mask what they wrote", async () => {
    const e = env();
    const survey = await createSurvey(e.ctx, e.workspaceId, {
      name: '名字问卷',
      title: '请打分',
      questions: DEFAULT_QUESTIONS,
    });
    const inv = await inviteCustomer(e.ctx, e.workspaceId, survey.id, { customerId: named });
    const answered = await app.inject({
      method: 'POST',
      url: `/s/${inv.code}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ overall: '4', nps: '9', comment: '我是张丽华，有事打 13900000021' }).toString(),
    });
    expect(answered.statusCode).toBe(200);
    const seen = async (role: string) => {
      const r = (await call(role, 'GET', `/surveys/${survey.id}/results`)).json().recent as {
        customerName: string;
        answers: { questionId: string; value: string | null }[];
      }[];
      return [r[0]!.customerName, r[0]!.answers.find((a) => a.questionId === 'comment')?.value];
    };
    expect(await seen('owner')).toEqual(['张丽华', '我是张丽华，有事打 13900000021']);
    expect(await seen('agent')).toEqual(['张**', '我是张**，有事打 139****0021']);
  });

  it('a masked value sent back is refused, so it cannot replace the real one', async () => {
    for (const [role, patch] of [
      ['marketer', { realName: '张**' }],
      ['owner', { realName: '张*华' }],
      ['marketer', { wechat: 'zh***a' }],
    ] as const) {
      const r = await app.inject({
        method: 'PATCH',
        url: `/api/v1/customers/${named}`,
        headers: { 'x-huike-client': 'test', cookie: cookies[role]! },
        payload: patch,
      });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().error.reason.key).toBe('customer.maskedValue');
    }
    expect((await call('owner', 'GET', `/customers/${named}`)).json().realName).toBe('张丽华');
  });
});
