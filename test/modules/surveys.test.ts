import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_QUESTIONS } from '../../src/core/surveys.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { listFeedback, recordChatFeedback, topComplaints } from '../../src/modules/feedback/records.js';
import { recordReview } from '../../src/modules/feedback/service.js';
import { createSurvey, inviteCustomer, surveyResults, updateSurvey } from '../../src/modules/feedback/surveys.js';
import { createChannel } from '../../src/modules/messaging/channels.js';
import { recordBatch } from '../../src/modules/messaging/send.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { seedCustomers } from '../support/messaging.js';

const form = (fields: Record<string, string>) => ({
  method: 'POST' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

describeBothDatabases('satisfaction surveys and feedback', (env) => {
  let app: FastifyInstance;
  let ids: Record<string, string>;
  let surveyId = '';
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T02:00:00.000Z');
    ids = await seedCustomers(e, [
      { nick: 'survey_a', phone: '13800000101' },
      { nick: 'survey_b', phone: '13800000102' },
      { nick: 'survey_c', phone: '13800000103' },
    ]);
    surveyId = (
      await createSurvey(e.ctx, e.workspaceId, {
        name: '售后满意度',
        title: '请为本次购物打分',
        intro: '只需 30 秒',
        questions: DEFAULT_QUESTIONS,
      })
    ).id;
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-survey-') });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a survey with broken questions is refused, naming the problem', async () => {
    const e = env();
    await expect(
      createSurvey(e.ctx, e.workspaceId, {
        name: '坏问卷',
        title: 'x',
        questions: [{ id: 'q1', kind: 'choice', label: '选一个', options: ['只有一个'] }],
      }),
    ).rejects.toThrow(/a choice needs 2–10 options/);
    await expect(
      createSurvey(e.ctx, e.workspaceId, {
        name: '重复',
        title: 'x',
        questions: [
          { id: 'q', kind: 'score', label: 'a' },
          { id: 'q', kind: 'text', label: 'b' },
        ],
      }),
    ).rejects.toThrow(/used twice/);
    await expect(
      createSurvey(e.ctx, e.workspaceId, { name: '售后满意度', title: 'x', questions: DEFAULT_QUESTIONS }),
    ).rejects.toThrow(/already exists/);
  });

  it('survey submission: one answer per recipient, scores stored, the second submit refused politely', async () => {
    const e = env();
    const ws = e.workspaceId;
    const inv = await inviteCustomer(e.ctx, ws, surveyId, { customerId: ids.survey_a! });
    expect(inv.code.startsWith(`${ws}.`)).toBe(true);
    // Asking again for the same customer gives the same link.
    expect((await inviteCustomer(e.ctx, ws, surveyId, { customerId: ids.survey_a! })).code).toBe(inv.code);

    const page = await app.inject({ method: 'GET', url: `/s/${inv.code}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('请为本次购物打分');
    expect(page.body).toContain('您有多大可能把我们推荐给朋友？');
    expect(page.body).toContain('name="viewport"');

    // Out-of-range and missing answers come back with the problem next to the question, answers kept.
    const bad = await app.inject({ url: `/s/${inv.code}`, ...form({ overall: '9', comment: '快递太慢了' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('请选择 1–5 之间的分数');
    expect(bad.body).toContain('快递太慢了');
    expect(
      await e.db.kysely.selectFrom('survey_responses').selectAll().where('workspace_id', '=', ws).execute(),
    ).toEqual([]);

    e.setNow('2026-11-23T03:00:00.000Z');
    const ok = await app.inject({
      url: `/s/${inv.code}`,
      ...form({ overall: '2', nps: '3', issue: '物流快递', comment: '快递太慢了，盒子压坏了' }),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('提交成功');

    const again = await app.inject({ url: `/s/${inv.code}`, ...form({ overall: '5', nps: '10' }) });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('您已提交过这份问卷');
    const revisit = await app.inject({ method: 'GET', url: `/s/${inv.code}` });
    expect(revisit.statusCode).toBe(200);
    expect(revisit.body).toContain('您已提交过这份问卷');

    const answers = await e.db.kysely
      .selectFrom('survey_answers')
      .select(['question_id', 'score', 'value'])
      .where('workspace_id', '=', ws)
      .orderBy('question_id')
      .execute();
    expect(answers).toEqual([
      { question_id: 'comment', score: null, value: '快递太慢了，盒子压坏了' },
      { question_id: 'issue', score: null, value: '物流快递' },
      { question_id: 'nps', score: 3, value: null },
      { question_id: 'overall', score: 2, value: null },
    ]);
    // The response is a negative logistics feedback record and shows on the customer's timeline.
    const fb = await listFeedback(e.ctx, ws, { source: 'survey' });
    expect(fb).toHaveLength(1);
    expect(fb[0]).toMatchObject({ category: 'logistics', sentiment: 'negative', customerId: ids.survey_a });
    const tl = await customerTimeline(e.ctx, ws, ids.survey_a!);
    expect(tl.find((x) => x.kind === 'survey.answered')?.title).toBe('填写问卷「售后满意度」 满意度 2/5');
    // Questions are frozen once answered; the texts are not.
    await expect(
      updateSurvey(e.ctx, ws, surveyId, { name: '售后满意度', title: 'x', questions: DEFAULT_QUESTIONS.slice(0, 2) }),
    ).rejects.toThrow(/can no longer change/);
    await updateSurvey(e.ctx, ws, surveyId, {
      name: '售后满意度',
      title: '请为本次购物打分',
      thanks: '谢谢！',
      questions: DEFAULT_QUESTIONS,
    });
  });

  it('an unknown or forged code is a 404 page, never another shop’s survey', async () => {
    const e = env();
    for (const code of ['nothing', `${e.workspaceId}.forged`, 'other-ws.abc', `${'x'.repeat(90)}.y`]) {
      const r = await app.inject({ method: 'GET', url: `/s/${encodeURIComponent(code)}` });
      expect(r.statusCode).toBe(404);
      expect(r.body).toContain('问卷链接无效');
      const p = await app.inject({ url: `/s/${encodeURIComponent(code)}`, ...form({ overall: '5' }) });
      expect(p.statusCode).toBe(404);
    }
  });

  it('results: per question the mean, NPS and distribution; invited, opened, answered', async () => {
    const e = env();
    const ws = e.workspaceId;
    const b = await inviteCustomer(e.ctx, ws, surveyId, { customerId: ids.survey_b! });
    const c = await inviteCustomer(e.ctx, ws, surveyId, { customerId: ids.survey_c! });
    await app.inject({ method: 'GET', url: `/s/${c.code}` });
    const r = await app.inject({ url: `/s/${b.code}`, ...form({ overall: '5', nps: '10', issue: '都很好' }) });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('谢谢！');
    const res = await surveyResults(e.ctx, ws, surveyId);
    expect(res).toMatchObject({ invited: 3, opened: 3, responses: 2, responseRate: 66.7 });
    const q = Object.fromEntries(res.questions.map((x) => [x.questionId, x]));
    expect(q.overall).toMatchObject({ answered: 2, average: 3.5 });
    expect(q.overall!.distribution).toMatchObject({ '2': 1, '5': 1, '1': 0 });
    // One promoter (10), one detractor (3): NPS 0.
    expect(q.nps).toMatchObject({ answered: 2, average: 6.5, nps: 0 });
    expect(q.issue!.distribution).toMatchObject({ 物流快递: 1, 都很好: 1, 价格: 0 });
    expect(q.comment!.texts).toEqual(['快递太慢了，盒子压坏了']);
    expect(res.recent.map((x) => x.customerName)).toEqual(['survey_b', 'survey_a']);
  });

  it('#问卷链接# in a message gives each recipient their own link, once per message', async () => {
    const e = env();
    const ws = e.workspaceId;
    e.setNow('2026-11-23T02:30:00.000Z');
    const channel = (await createChannel(e.ctx, ws, { name: '问卷发件箱', kind: 'outbox', config: { medium: 'sms' } }))
      .id;
    const batch = {
      sourceType: 'automation',
      sourceId: 'revisit-1',
      step: 'ask',
      kind: 'care' as const,
      channelId: channel,
      customerIds: [ids.survey_b!, ids.survey_c!],
      variants: [{ key: null, content: { text: '#客户昵称#，请花 30 秒评价本次购物：#问卷链接#' } }],
      variantOf: () => 0,
      linkUrl: null,
      surveyId,
      budgetFen: null,
      state: { seen: new Set<string>(), spentFen: 0 },
      dry: false,
    };
    await recordBatch(e.ctx, ws, batch);
    await recordBatch(e.ctx, ws, { ...batch, state: { seen: new Set<string>(), spentFen: 0 } });
    const msgs = await e.db.kysely
      .selectFrom('messages')
      .select(['customer_id', 'body', 'status'])
      .where('workspace_id', '=', ws)
      .where('source_id', '=', 'revisit-1')
      .execute();
    expect(msgs).toHaveLength(2);
    const invs = await e.db.kysely
      .selectFrom('survey_invitations')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('ref', '=', 'automation:revisit-1:ask')
      .execute();
    expect(invs).toHaveLength(2);
    for (const m of msgs) {
      const inv = invs.find((i) => i.customer_id === m.customer_id)!;
      expect(m.body).toContain(`/s/${inv.id}`);
    }
    const page = await app.inject({ method: 'GET', url: `/s/${invs[0]!.id}` });
    expect(page.statusCode).toBe(200);
    await expect(recordBatch(e.ctx, ws, { ...batch, sourceId: 'x', surveyId: 'missing' })).rejects.toThrow(
      /survey missing not found/,
    );
  });

  it('feedback: reviews and chats are categorised; the top complaint categories of the period first', async () => {
    const e = env();
    const ws = e.workspaceId;
    e.setNow('2026-11-23T05:00:00.000Z');
    const orderOf = async (customerId: string) =>
      (
        await e.db.kysely
          .selectFrom('orders')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('customer_id', '=', customerId)
          .executeTakeFirstOrThrow()
      ).id;
    // An id of 300,000 characters was stored (and listed back with every page of feedback): refused, naming it.
    const huge = 'y'.repeat(300_000);
    await expect(
      recordChatFeedback(e.ctx, ws, { customerId: ids.survey_b!, orderId: huge, body: '太慢' }, null),
    ).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/orderId/) });
    await expect(
      recordReview(e.ctx, ws, ids.survey_b!, { orderId: huge, rating: 'bad', body: '差' }),
    ).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/orderId/) });
    await recordReview(e.ctx, ws, ids.survey_b!, {
      orderId: await orderOf(ids.survey_b!),
      rating: 'bad',
      body: '质量很差，衣服起球',
    });
    await recordReview(e.ctx, ws, ids.survey_c!, {
      orderId: await orderOf(ids.survey_c!),
      rating: 'good',
      body: '很好',
    });
    const chat = await recordChatFeedback(
      e.ctx,
      ws,
      { customerId: ids.survey_c!, body: '客服态度不好，半天不回复' },
      null,
    );
    expect(chat).toMatchObject({
      source: 'chat',
      category: 'service',
      sentiment: 'negative',
      categoryLabel: '客服服务',
    });
    await recordChatFeedback(e.ctx, ws, { customerId: ids.survey_a!, body: '发货太慢' }, null);
    // Older than the window: left out.
    await recordChatFeedback(
      e.ctx,
      ws,
      { customerId: ids.survey_a!, body: '太贵了', occurredAt: '2026-09-01T00:00:00.000Z' },
      null,
    );
    const reviews = await listFeedback(e.ctx, ws, { source: 'review' });
    expect(reviews.map((r) => [r.category, r.sentiment])).toEqual([
      ['other', 'positive'],
      ['product', 'negative'],
    ]);
    const top = await topComplaints(e.ctx, ws, 30);
    expect(top.categories.map((c) => [c.category, c.count])).toEqual([
      ['logistics', 2],
      ['product', 1],
      ['service', 1],
    ]);
    expect(top.total).toBe(4);
    expect(top.categories[0]).toMatchObject({ label: '物流快递', share: 50 });
    expect(top.categories[0]!.examples).toEqual(['发货太慢', '快递太慢了，盒子压坏了']);
    expect(top.bySource).toEqual({ review: 1, chat: 2, survey: 1 });
    const longer = await topComplaints(e.ctx, ws, 365);
    expect(longer.categories.find((c) => c.category === 'price')?.count).toBe(1);
  });
});
