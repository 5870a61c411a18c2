import type { FastifyInstance } from 'fastify';
import { beforeAll, expect, it } from 'vitest';
import { fitBgNbd, groupRft, probabilityAlive, type Rft } from '../../src/core/clv/bgnbd.js';
import { Random } from '../../src/core/random.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import { customerDetail } from '../../src/modules/customers/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { fitWorkspace, getModel } from '../../src/modules/predict/service.js';
import { countRule } from '../../src/modules/segments/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * A shop seen on 2026-11-23 12:00 Shanghai. 80 generated buyers (seeded: each buys at a rate
 * and may drop out after each purchase) plus three written by hand:
 *   twin   two orders on 2026-11-20 (10:00 and 20:00 Shanghai) and one on 11-22 23:30 Shanghai,
 *          which is 11-22 15:30 UTC          → 2 purchase days, x = 1, tx = 2, T = 3
 *   night  2026-11-01 00:30 Shanghai (10-31 in UTC) and 2026-11-02 00:30 → x = 1, tx = 1, T = 22
 *   gone   one order, fully refunded       → not a buyer, no prediction
 */
const AS_OF = '2026-11-23T04:00:00.000Z';
const DAY = 86_400_000;
const localDay = (iso: string) => Math.floor((Date.parse(iso) + 8 * 3_600_000) / DAY);
const TODAY = localDay(AS_OF);
const atLocal = (day: number, hour: number) => new Date(day * DAY + (hour - 8) * 3_600_000).toISOString();

interface Buyer {
  nick: string;
  days: number[];
}

function generatedBuyers(): Buyer[] {
  const rnd = new Random(20261123);
  const buyers: Buyer[] = [];
  for (let i = 0; i < 80; i++) {
    const first = TODAY - rnd.int(10, 540);
    const gap = rnd.pick([25, 60, 150, 400]);
    const dropout = rnd.pick([0.1, 0.3, 0.6]);
    const days = [first];
    let d = first;
    while (!rnd.chance(dropout)) {
      d += Math.max(1, Math.round(-gap * Math.log(1 - rnd.next())));
      if (d > TODAY) break;
      days.push(d);
    }
    buyers.push({ nick: `gen${i}`, days });
  }
  return buyers;
}

/** x, tx, T counted by hand from the local purchase days. */
function summaryOf(days: number[], today: number): Rft {
  const u = [...new Set(days)].sort((a, b) => a - b);
  return { x: u.length - 1, tx: u[u.length - 1]! - u[0]!, T: today - u[0]! };
}

async function seed(e: TestEnv, workspaceId: string, buyers: Buyer[], extra: ReturnType<typeof orderRecord>[] = []) {
  const store = await ensureStore(e.ctx, workspaceId, '预测测试店', 'taobao');
  let n = 0;
  const records = [
    ...buyers.flatMap((b) =>
      b.days.map((day) =>
        orderRecord({
          line: ++n,
          externalId: `P${n}`,
          createdAt: atLocal(day, 10),
          paidFen: 5000 + ((n * 7919) % 20000),
          buyer: { nick: b.nick, externalId: null, email: null, phone: null, name: null },
        }),
      ),
    ),
    ...extra,
  ];
  await e.db.kysely
    .transaction()
    .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
}

const buyerId = async (e: TestEnv, nick: string) =>
  (
    await e.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('display_name', '=', nick)
      .executeTakeFirstOrThrow()
  ).id;

const predictionOf = async (e: TestEnv, nick: string) =>
  e.db.kysely
    .selectFrom('customer_predictions')
    .selectAll()
    .where('workspace_id', '=', e.workspaceId)
    .where('customer_id', '=', await buyerId(e, nick))
    .executeTakeFirst();

describeBothDatabases('predictive customer value', (env) => {
  const buyers = generatedBuyers();
  const hand = (nick: string, n: number, local: string, paidFen: number, extra: Record<string, unknown> = {}) =>
    orderRecord({
      line: 10_000 + n,
      externalId: `H${n}`,
      createdAt: new Date(`${local}+08:00`).toISOString(),
      paidFen,
      buyer: { nick, externalId: null, email: null, phone: null, name: null },
      ...extra,
    });

  beforeAll(async () => {
    const e = env();
    e.setNow(AS_OF);
    await seed(e, e.workspaceId, buyers, [
      hand('twin', 1, '2026-11-20T10:00:00', 10000),
      hand('twin', 2, '2026-11-20T20:00:00', 5000),
      hand('twin', 3, '2026-11-22T23:30:00', 8000),
      hand('night', 4, '2026-11-01T00:30:00', 3000),
      hand('night', 5, '2026-11-02T00:30:00', 3000),
      hand('gone', 6, '2026-10-01T10:00:00', 9000, { status: 'refunded', refundedFen: 9000 }),
    ]);
    await fitWorkspace(e.ctx, e.workspaceId);
  });

  it('counts purchase days in the shop time zone, same-day orders as one', async () => {
    const twin = await predictionOf(env(), 'twin');
    expect([twin?.frequency, twin?.recency_days, twin?.age_days]).toEqual([1, 2, 3]);
    const night = await predictionOf(env(), 'night');
    expect([night?.frequency, night?.recency_days, night?.age_days]).toEqual([1, 1, 22]);
    expect(await predictionOf(env(), 'gone')).toBeUndefined();
  });

  it('stores the same BG/NBD fit as the core maths on the hand-counted summaries', async () => {
    const rows = [...buyers.map((b) => summaryOf(b.days, TODAY)), { x: 1, tx: 2, T: 3 }, { x: 1, tx: 1, T: 22 }];
    const expected = fitBgNbd(groupRft(rows));
    const m = await getModel(env().ctx, env().workspaceId);
    expect(m.status).toBe('fitted');
    expect(m.customers).toBe(82);
    expect(m.params!.timeUnit).toBe('day');
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      expect(m.params!.bgnbd[k] / expected.params[k]).toBeCloseTo(1, 5);
    }
    expect(m.params!.bgnbd.logLikelihood).toBeCloseTo(expected.logLikelihood, 5);
    expect(m.params!.repeatCustomers).toBe(rows.filter((r) => r.x > 0).length);
    expect(m.fittedAt).toBe(AS_OF);

    // Each buyer's P(alive) is the model's at their own summary.
    for (const b of buyers.slice(0, 10)) {
      const p = await predictionOf(env(), b.nick);
      expect(p!.p_alive).toBeCloseTo(probabilityAlive(m.params!.bgnbd, summaryOf(b.days, TODAY)), 9);
      expect(p!.expected_orders_30d).toBeLessThanOrEqual(p!.expected_orders_90d);
      expect(p!.expected_orders_90d).toBeLessThanOrEqual(p!.expected_orders_365d);
      expect(p!.churn_band).toBe(
        summaryOf(b.days, TODAY).x === 0 ? 'one_time' : p!.p_alive < 0.3 ? 'high' : p!.p_alive < 0.7 ? 'medium' : 'low',
      );
    }
  });

  it('calibrates on the days before the 90-day holdout and counts what happened in it', async () => {
    const m = await getModel(env().ctx, env().workspaceId);
    const cal = m.calibration!;
    const calEnd = TODAY - 90;
    expect(cal.holdoutDays).toBe(90);
    expect(cal.calibrationEnd).toBe(new Date((calEnd + 1) * DAY).toISOString().slice(0, 10));
    const before = buyers.filter((b) => b.days[0]! <= calEnd);
    expect(cal.customers).toBe(before.length);
    expect(cal.status).toBe('ok');
    const holdout = (b: Buyer) => new Set(b.days.filter((d) => d > calEnd)).size;
    expect(cal.actualTotal).toBe(before.reduce((s, b) => s + holdout(b), 0));
    const zero = before.filter((b) => new Set(b.days.filter((d) => d <= calEnd)).size === 1);
    const row0 = cal.rows.find((r) => r.frequency === '0')!;
    expect(row0.customers).toBe(zero.length);
    expect(row0.actual).toBeCloseTo(zero.reduce((s, b) => s + holdout(b), 0) / zero.length, 9);
    expect(cal.rows.reduce((s, r) => s + r.customers, 0)).toBe(before.length);
    expect(cal.predictedTotal).toBeGreaterThan(0);
  });

  it('shows the values on the customer page', async () => {
    const e = env();
    const d = await customerDetail(e.ctx, e.workspaceId, await buyerId(e, 'twin'), 'owner');
    expect(d.prediction).toMatchObject({ frequency: 1, recencyDays: 2, ageDays: 3, fittedAt: AS_OF });
    expect(d.prediction!.pAlive).toBeGreaterThan(0);
    expect(d.prediction!.clvFen).toBeGreaterThan(0);
    const gone = await customerDetail(e.ctx, e.workspaceId, await buyerId(e, 'gone'), 'owner');
    expect(gone.prediction).toBeNull();
  });

  it('the values are segment fields: "P(alive) < 30 % and CLV > ¥500" counts the customers that match', async () => {
    const e = env();
    const rows = await e.db.kysely
      .selectFrom('customer_predictions')
      .select(['p_alive', 'clv_fen', 'churn_band', 'expected_order_value_fen'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    const count = (rule: unknown) => countRule(e.ctx, e.workspaceId, rule);
    const rule = {
      all: [
        { field: 'p_alive', op: 'lt', value: 30 },
        { field: 'clv', op: 'gt', value: 50000 },
      ],
    };
    expect(await count(rule)).toBe(rows.filter((r) => r.p_alive < 0.3 && Number(r.clv_fen) > 50000).length);
    // Each half selects something on its own, so the AND is a real test.
    const lowAlive = rows.filter((r) => r.p_alive < 0.3).length;
    expect(lowAlive).toBeGreaterThan(0);
    expect(await count({ field: 'p_alive', op: 'lt', value: 30 })).toBe(lowAlive);
    const highClv = rows.filter((r) => Number(r.clv_fen) > 5000).length;
    expect(highClv).toBeGreaterThan(0);
    expect(await count({ field: 'clv', op: 'gt', value: 5000 })).toBe(highClv);
    expect(await count({ field: 'churn_band', op: 'in', value: ['high', 'medium'] })).toBe(
      rows.filter((r) => r.churn_band === 'high' || r.churn_band === 'medium').length,
    );
    // Customers without a prediction (gone: refunded) have no value: "≠ high" includes them, "is empty" finds them.
    expect(await count({ field: 'churn_band', op: 'is_empty' })).toBe(1);
    expect(await count({ field: 'churn_band', op: 'neq', value: 'high' })).toBe(
      rows.filter((r) => r.churn_band !== 'high').length + 1,
    );
    await expect(count({ field: 'churn_band', op: 'eq', value: 'gone' })).rejects.toThrow(/churn_band/);
  });

  it('a refit drops customers who stopped being buyers and moves the age with the clock', async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '预测测试店', 'taobao');
    // night's orders are refunded in full: no longer a buyer.
    await e.db.kysely
      .transaction()
      .execute((trx) =>
        ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
          hand('night', 4, '2026-11-01T00:30:00', 3000, { status: 'refunded', refundedFen: 3000 }),
          hand('night', 5, '2026-11-02T00:30:00', 3000, { status: 'refunded', refundedFen: 3000 }),
        ]),
      );
    e.setNow('2026-11-30T04:00:00.000Z');
    await fitWorkspace(e.ctx, e.workspaceId);
    expect(await predictionOf(e, 'night')).toBeUndefined();
    expect((await predictionOf(e, 'twin'))?.age_days).toBe(10);
    e.setNow(AS_OF);
  });

  it('the model counts repeat buyers in buying days: two orders on one local day: a 回头客, no repeat', async () => {
    const e = env();
    const ws = await createWorkspace(e.ctx, '同日店');
    // 07:30 and 08:30 in Shanghai: one local day, two UTC dates (11-09 23:30 and 11-10 00:30 UTC).
    const sameDay = ['2026-11-10T07:30:00', '2026-11-10T08:30:00'].map((local, i) =>
      hand('sameday', 20 + i, local, 6000),
    );
    await seed(e, ws.id, buyers, sameDay);
    const m = await fitWorkspace(e.ctx, ws.id);
    const returning = await countRule(e.ctx, ws.id, { field: 'paid_orders', op: 'gte', value: 2 });
    const generatedRepeat = buyers.filter((b) => summaryOf(b.days, TODAY).x > 0).length;
    expect(m.params!.repeatCustomers).toBe(generatedRepeat);
    expect(returning).toBe(generatedRepeat + 1);
  });

  it('a shop with too few repeat buyers is told so, and nothing is stored', async () => {
    const e = env();
    const ws = await createWorkspace(e.ctx, '小店');
    await seed(e, ws.id, [
      { nick: 'a1', days: [TODAY - 30] },
      { nick: 'a2', days: [TODAY - 20, TODAY - 5] },
    ]);
    const m = await fitWorkspace(e.ctx, ws.id);
    expect(m.status).toBe('insufficient_data');
    expect(m.message).toMatch(/at least 20 buyers and 5 repeat buyers \(has 2 and 1\)/);
    const stored = await e.db.kysely
      .selectFrom('customer_predictions')
      .select('customer_id')
      .where('workspace_id', '=', ws.id)
      .execute();
    expect(stored).toEqual([]);
  });

  it('is refitted nightly and on request through the API, in the job queue', async () => {
    const e = env();
    const ws = await createWorkspace(e.ctx, '夜间店');
    const schedule = await e.db.kysely
      .selectFrom('schedules')
      .select(['job_kind', 'cron'])
      .where('workspace_id', '=', ws.id)
      .where('name', '=', 'nightly-predict')
      .executeTakeFirst();
    expect(schedule).toEqual({ job_kind: 'predict.fit', cron: '30 4 * * *' });

    await createUser(e.ctx, e.workspaceId, { login: 'predictor', password: 'secret-pass-9', role: 'owner' });
    const app: FastifyInstance = await buildServer(e.ctx, { dataDir: scratchDir('huike-predict-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'predictor', password: 'secret-pass-9' },
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const refit = await app.inject({
        method: 'POST',
        url: '/api/v1/predict/refit',
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(refit.statusCode).toBe(202);
      const job = await e.db.kysely
        .selectFrom('jobs')
        .select(['kind', 'status'])
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', refit.json().jobId)
        .executeTakeFirstOrThrow();
      expect(job).toEqual({ kind: 'predict.fit', status: 'queued' });
      await createWorker(e.ctx, { handlers: jobHandlers }).drain();

      const model = await app.inject({
        method: 'GET',
        url: '/api/v1/predict/model',
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(model.statusCode).toBe(200);
      expect(model.json()).toMatchObject({ status: 'fitted', customers: 81, settings: { horizonMonths: 12 } });
      const cal = await app.inject({
        method: 'GET',
        url: '/api/v1/predict/calibration',
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(cal.json().rows.length).toBeGreaterThan(1);

      const bad = await app.inject({
        method: 'PUT',
        url: '/api/v1/predict/settings',
        headers: { 'x-huike-client': 'test', cookie },
        payload: { horizonMonths: 12, monthlyDiscount: 2, holdoutDays: 90 },
      });
      expect(bad.statusCode).toBe(400);
      const detail = await app.inject({
        method: 'GET',
        url: `/api/v1/customers/${await buyerId(e, 'twin')}`,
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(detail.json().prediction.frequency).toBe(1);
    } finally {
      await app.close();
    }
  });
});
