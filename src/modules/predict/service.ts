import { expectedPurchases, medianTimeToNextPurchase, probabilityAlive } from '../../core/clv/bgnbd.js';
import type { BgNbdParams, Rft } from '../../core/clv/bgnbd.js';
import { churnBand, customerLifetimeValue } from '../../core/clv/clv.js';
import { conditionalExpectedSpend, type GammaGammaParams } from '../../core/clv/gamma-gamma.js';
import { fitOffLoop } from './fit-thread.js';
import { calibrationByFrequency, dayNumber, dayToDate, type CustomerSummary } from '../../core/clv/summary.js';
import { zoneOffsetMinutes } from '../../core/time.js';
import { readJson, writeJson } from '../../db/json.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nowIso, type AppContext } from '../context.js';
import { readSetting, writeSetting } from '../settings.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { yieldToEventLoop } from '../event-loop.js';
import { purchaseSummaries, writePredictions, type PredictionRow } from './repo.js';
import {
  calibrationOut,
  modelParamsOut,
  predictSettings,
  type Calibration,
  type ModelParams,
  type PredictSettings,
} from './schema.js';

/** Below this a fit says more about chance than about the shop. */
export const MIN_BUYERS = 20;
export const MIN_REPEAT_BUYERS = 5;
const WRITE_BATCH = 500;
/** Dates further out than this are as good as never. */
const MAX_NEXT_ORDER_DAYS = 3 * 365;

export async function getPredictSettings(ctx: AppContext, workspaceId: string): Promise<PredictSettings> {
  return readSetting(ctx.db.kysely, workspaceId, 'predict', predictSettings);
}

export async function setPredictSettings(ctx: AppContext, workspaceId: string, input: unknown) {
  return writeSetting(ctx, workspaceId, 'predict', predictSettings, input, 'The prediction settings');
}

interface Spend {
  params: GammaGammaParams | null;
  meanFen: number;
}

/** The shop's mean spend per purchase day: the expected order value when Gamma-Gamma does not fit. */
function meanSpend(summaries: readonly CustomerSummary[]): number {
  let total = 0;
  for (const s of summaries) total += s.meanFen;
  return summaries.length ? total / summaries.length : 0;
}

export function predictCustomer(
  bg: BgNbdParams,
  spend: Spend,
  s: CustomerSummary,
  settings: PredictSettings,
  today: number,
) {
  const value = spend.params ? conditionalExpectedSpend(spend.params, { x: s.x, m: s.repeatMeanFen }) : spend.meanFen;
  const next = medianTimeToNextPurchase(bg, s);
  return {
    expectedOrders30d: expectedPurchases(bg, s, 30),
    expectedOrders90d: expectedPurchases(bg, s, 90),
    expectedOrders365d: expectedPurchases(bg, s, 365),
    pAlive: probabilityAlive(bg, s),
    expectedOrderValueFen: Math.round(value),
    clvFen: Math.round(
      customerLifetimeValue(bg, s, value, {
        months: settings.horizonMonths,
        monthlyDiscount: settings.monthlyDiscount,
        monthLength: 30,
      }),
    ),
    churnBand: churnBand(bg, s),
    nextOrderDate: next !== null && next <= MAX_NEXT_ORDER_DAYS ? dayToDate(today + Math.ceil(next)) : null,
  };
}

function enoughData(rows: readonly Rft[]): string | null {
  const repeaters = rows.filter((r) => r.x > 0).length;
  if (rows.length < MIN_BUYERS || repeaters < MIN_REPEAT_BUYERS) {
    return (
      `needs at least ${MIN_BUYERS} buyers and ${MIN_REPEAT_BUYERS} ` +
      `repeat buyers (has ${rows.length} and ${repeaters})`
    );
  }
  return null;
}

/** With the fit on the purchases up to the holdout: its predictions for the holdout against what happened. */
function calibrate(
  summaries: readonly CustomerSummary[],
  fit: BgNbdParams | null,
  settings: PredictSettings,
  calibrationEnd: number,
): Calibration {
  const rows = summaries.filter((s) => s.calibration !== null);
  const base = {
    holdoutDays: settings.holdoutDays,
    calibrationEnd: dayToDate(calibrationEnd + 1),
    customers: rows.length,
  };
  const missing = enoughData(rows.map((s) => s.calibration!));
  if (missing || !fit) {
    return {
      status: 'insufficient_data',
      message: `the calibration period ${missing ?? 'could not be fitted'}`,
      ...base,
      predictedTotal: 0,
      actualTotal: 0,
      rows: [],
    };
  }
  let predictedTotal = 0;
  let actualTotal = 0;
  const points = rows.map((s) => {
    const predicted = expectedPurchases(fit, s.calibration!, settings.holdoutDays);
    predictedTotal += predicted;
    actualTotal += s.holdoutPurchases;
    return { x: s.calibration!.x, predicted, actual: s.holdoutPurchases };
  });
  return {
    status: 'ok',
    message: null,
    ...base,
    predictedTotal,
    actualTotal,
    rows: calibrationByFrequency(points),
  };
}

/**
 * Fits BG/NBD and Gamma-Gamma on a workspace's buyers and stores every buyer's values. Reads a
 * page of customers at a time and writes batches in short transactions, yielding in between;
 * rows of customers who are no longer buyers are removed at the end.
 */
export async function fitWorkspace(ctx: AppContext, workspaceId: string) {
  const started = performance.now();
  const fittedAt = nowIso(ctx);
  const timezone = await workspaceTimezone(ctx.db.kysely, workspaceId);
  const settings = await getPredictSettings(ctx, workspaceId);
  const nowMs = ctx.now().getTime();
  const today = dayNumber(nowMs, zoneOffsetMinutes(timezone, nowMs));
  const calibrationEnd = today - settings.holdoutDays;

  const ids: string[] = [];
  const summaries: CustomerSummary[] = [];
  for await (const page of purchaseSummaries(ctx, workspaceId, timezone, today, calibrationEnd)) {
    for (const { customerId, summary } of page) {
      ids.push(customerId);
      summaries.push(summary);
    }
  }

  const missing = enoughData(summaries);
  if (missing) {
    await saveModel(ctx, workspaceId, {
      status: 'insufficient_data',
      message: `BG/NBD ${missing}`,
      params: null,
      calibration: null,
      customers: summaries.length,
      fitMs: Math.round(performance.now() - started),
      fittedAt,
    });
    await ctx.db.kysely.deleteFrom('customer_predictions').where('workspace_id', '=', workspaceId).execute();
    return getModel(ctx, workspaceId);
  }

  const withCalibration = summaries.filter((s) => s.calibration !== null).map((s) => s.calibration!);
  const repeatSpend = summaries
    .filter((s) => s.x > 0 && s.repeatMeanFen > 0)
    .map((s) => ({ x: s.x, m: s.repeatMeanFen }));
  const fit = await fitOffLoop({
    customers: summaries.map(({ x, tx, T }) => ({ x, tx, T })),
    calibration: enoughData(withCalibration) ? null : withCalibration,
    spend: repeatSpend.length >= MIN_REPEAT_BUYERS ? repeatSpend : null,
  });
  const bg = fit.bgnbd;
  const spend: Spend = { params: fit.gammaGamma?.params ?? null, meanFen: meanSpend(summaries) };
  const calibration = calibrate(summaries, fit.calibration, settings, calibrationEnd);
  const params: ModelParams = {
    timeUnit: 'day',
    bgnbd: { ...bg.params, logLikelihood: bg.logLikelihood },
    spend: {
      model: spend.params ? 'gamma-gamma' : 'average',
      p: spend.params?.p ?? null,
      q: spend.params?.q ?? null,
      gamma: spend.params?.gamma ?? null,
      meanOrderValueFen: Math.round(spend.meanFen),
      customers: fit.gammaGamma?.customers ?? repeatSpend.length,
    },
    repeatCustomers: summaries.filter((s) => s.x > 0).length,
  };

  for (let i = 0; i < summaries.length; i += WRITE_BATCH) {
    const batch: PredictionRow[] = [];
    for (let j = i; j < Math.min(i + WRITE_BATCH, summaries.length); j++) {
      const s = summaries[j]!;
      const v = predictCustomer(bg.params, spend, s, settings, today);
      batch.push({
        workspace_id: workspaceId,
        customer_id: ids[j]!,
        frequency: s.x,
        recency_days: s.tx,
        age_days: s.T,
        expected_orders_30d: v.expectedOrders30d,
        expected_orders_90d: v.expectedOrders90d,
        expected_orders_365d: v.expectedOrders365d,
        p_alive: v.pAlive,
        expected_order_value_fen: v.expectedOrderValueFen,
        clv_fen: v.clvFen,
        churn_band: v.churnBand,
        next_order_date: v.nextOrderDate,
        fitted_at: fittedAt,
      });
    }
    await writePredictions(ctx, batch);
    await yieldToEventLoop();
  }
  // Older rows: customers who stopped being buyers (refunds, merges). `<`, not `<>`: a later fit
  // running alongside keeps its rows.
  await ctx.db.kysely
    .deleteFrom('customer_predictions')
    .where('workspace_id', '=', workspaceId)
    .where('fitted_at', '<', fittedAt)
    .execute();
  await saveModel(ctx, workspaceId, {
    status: 'fitted',
    message: null,
    params,
    calibration,
    customers: summaries.length,
    fitMs: Math.round(performance.now() - started),
    fittedAt,
  });
  return getModel(ctx, workspaceId);
}

async function saveModel(
  ctx: AppContext,
  workspaceId: string,
  m: {
    status: string;
    message: string | null;
    params: ModelParams | null;
    calibration: Calibration | null;
    customers: number;
    fitMs: number;
    fittedAt: string;
  },
) {
  const row = {
    status: m.status,
    message: m.message,
    params: m.params ? writeJson(m.params) : null,
    calibration: m.calibration ? writeJson(m.calibration) : null,
    customers: m.customers,
    fit_ms: m.fitMs,
    fitted_at: m.fittedAt,
  };
  await ctx.db.kysely
    .insertInto('prediction_models')
    .values({ workspace_id: workspaceId, ...row })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet(row))
    .execute();
}

/** The fitted model: parameters, fit time, settings and the holdout calibration. */
export async function getModel(ctx: AppContext, workspaceId: string) {
  const settings = await getPredictSettings(ctx, workspaceId);
  const row = await ctx.db.kysely
    .selectFrom('prediction_models')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) {
    return {
      status: 'never_fitted' as const,
      message: null,
      fittedAt: null,
      fitMs: null,
      customers: 0,
      params: null,
      settings,
      calibration: null,
    };
  }
  return {
    status: row.status as 'fitted' | 'insufficient_data',
    message: row.message,
    fittedAt: row.fitted_at,
    fitMs: Number(row.fit_ms),
    customers: Number(row.customers),
    params: row.params ? modelParamsOut.parse(readJson(row.params)) : null,
    settings,
    calibration: row.calibration ? calibrationOut.parse(readJson(row.calibration)) : null,
  };
}

export async function getCalibration(ctx: AppContext, workspaceId: string): Promise<Calibration> {
  const m = await getModel(ctx, workspaceId);
  if (m.calibration) return m.calibration;
  return {
    status: 'insufficient_data',
    message: m.message ?? 'the model has not been fitted yet',
    holdoutDays: m.settings.holdoutDays,
    calibrationEnd: null,
    customers: 0,
    predictedTotal: 0,
    actualTotal: 0,
    rows: [],
  };
}

/** Queues a refit now (the nightly schedule does the same). */
export async function requestRefit(ctx: AppContext, workspaceId: string): Promise<{ jobId: string }> {
  const now = nowIso(ctx);
  const jobId = await enqueue(ctx.db.kysely, { workspaceId, kind: JOB.predictFit, dedupeKey: `refit@${now}` }, now);
  return { jobId };
}

/** A customer's predicted values, or null before a fit or for a customer who never bought. */
export async function customerPrediction(ctx: AppContext, workspaceId: string, customerId: string) {
  const r = await ctx.db.kysely
    .selectFrom('customer_predictions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  if (!r) return null;
  return {
    frequency: Number(r.frequency),
    recencyDays: Number(r.recency_days),
    ageDays: Number(r.age_days),
    expectedOrders30d: Number(r.expected_orders_30d),
    expectedOrders90d: Number(r.expected_orders_90d),
    expectedOrders365d: Number(r.expected_orders_365d),
    pAlive: Number(r.p_alive),
    expectedOrderValueFen: Number(r.expected_order_value_fen),
    clvFen: Number(r.clv_fen),
    churnBand: r.churn_band as 'low' | 'medium' | 'high' | 'one_time',
    nextOrderDate: r.next_order_date,
    fittedAt: r.fitted_at,
  };
}
