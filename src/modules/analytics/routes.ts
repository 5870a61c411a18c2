import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { activityRange, ACTIVITY_PRESETS } from '../../core/analytics-views.js';
import { newId } from '../../core/ids.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nowIso } from '../context.js';
import { principalOf, sendCsv, type ModuleRoutes } from '../http.js';
import { tablesCsv, tablesXlsx } from '../tables.js';
import { viewTables } from './export.js';
import {
  cohorts,
  daily,
  distribution,
  effects,
  overview,
  products,
  provincesInRange,
  repurchase,
  timing,
} from './reads.js';
import {
  activitiesOutput,
  activitiesQuery,
  cohortsOutput,
  dailyOutput,
  dashboardOutput,
  dashboardQuery,
  distributionOutput,
  effectsOutput,
  exportQuery,
  overviewOutput,
  productsOutput,
  productsQuery,
  provincesOutput,
  rangeQuery,
  repurchaseOutput,
  settingsOutput,
  timingOutput,
} from './schema.js';
import { dashboard, provinces } from './service.js';
import { analyticsSettings, getAnalyticsSettings, setAnalyticsSettings } from './views.js';
import { askRange } from './asked.js';

const tags = ['analytics'];

const dashboardSchema = {
  tags,
  summary:
    "Today's and the last N days' member KPIs (buyers, 老会员占比, repurchase, AOV) and a daily trend, " +
    'in the workspace time zone',
  querystring: dashboardQuery,
  response: { 200: dashboardOutput },
};

const provincesSchema = {
  tags,
  summary:
    'Buyers, orders and spend per province, largest spend first: of the range and store asked for, ' +
    'or of every buyer ever when neither is given',
  querystring: rangeQuery,
  response: { 200: provincesOutput },
};

export const analyticsRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get('/analytics/dashboard', { config: { permission: 'analytics:read' }, schema: dashboardSchema }, async (req) =>
    dashboard(ctx, principalOf(req).workspaceId, req.query.days),
  );

  app.get(
    '/analytics/provinces',
    { config: { permission: 'analytics:read' }, schema: provincesSchema },
    async (req) => {
      const q = req.query;
      const ws = principalOf(req).workspaceId;
      if (q.from || q.to || q.storeId) return provincesInRange(ctx, ws, q);
      return { items: await provinces(ctx, ws) };
    },
  );

  const read = { permission: 'analytics:read' } as const;
  const range = (summary: string, output: z.ZodType) => ({
    tags,
    summary,
    querystring: rangeQuery,
    response: { 200: output },
  });
  app.get(
    '/analytics/overview',
    {
      config: read,
      schema: range(
        '成交会员, 成交金额, 老会员 shares, payment rate, 环比 and 同比 of a range of local days',
        overviewOutput,
      ),
    },
    async (req) => overview(ctx, principalOf(req).workspaceId, req.query),
  );
  app.get(
    '/analytics/repurchase',
    { config: read, schema: range('复购率 per month against the industry reference band', repurchaseOutput) },
    async (req) => repurchase(ctx, principalOf(req).workspaceId, req.query),
  );
  app.get(
    '/analytics/cohorts',
    {
      config: read,
      schema: range('Retention of the first-order-month cohorts that start in the range', cohortsOutput),
    },
    async (req) => cohorts(ctx, principalOf(req).workspaceId, req.query),
  );
  app.get(
    '/analytics/distribution',
    {
      config: read,
      schema: range('Buyers by purchase frequency, AOV, churn bucket, age, gender and city tier', distributionOutput),
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const out = await distribution(ctx, ws, req.query);
      await askRange(ctx, ws, req.query);
      return out;
    },
  );
  app.get(
    '/analytics/daily',
    {
      config: read,
      schema: range('Buyers (new and returning), orders and spend on each local day of the range', dailyOutput),
    },
    async (req) => daily(ctx, principalOf(req).workspaceId, req.query),
  );
  app.get(
    '/analytics/products',
    {
      config: read,
      schema: {
        tags,
        summary: 'Best and slow sellers by units and by repurchase',
        querystring: productsQuery,
        response: { 200: productsOutput },
      },
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const out = await products(ctx, ws, req.query);
      await askRange(ctx, ws, req.query);
      return out;
    },
  );
  app.get(
    '/analytics/timing',
    { config: read, schema: range('Sales by local hour, weekday and month, with MoM and YoY', timingOutput) },
    async (req) => timing(ctx, principalOf(req).workspaceId, req.query),
  );
  app.get(
    '/analytics/effects',
    {
      config: read,
      schema: range(
        'Campaigns launched in the range (lift vs control, ROI) and coupon templates side by side',
        effectsOutput,
      ),
    },
    async (req) => effects(ctx, principalOf(req).workspaceId, req.query),
  );
  app.get(
    '/analytics/activities',
    {
      config: read,
      schema: {
        tags,
        summary: 'The shopping festivals (双11, 618 …) of a year as date ranges',
        querystring: activitiesQuery,
        response: { 200: activitiesOutput },
      },
    },
    async (req) => {
      const year = req.query.year ?? ctx.now().getUTCFullYear();
      return { items: ACTIVITY_PRESETS.map((p) => ({ key: p.key, name: p.name, ...activityRange(p.key, year) })) };
    },
  );
  app.get(
    '/analytics/settings',
    { config: read, schema: { tags, summary: 'The industry reference for 复购率', response: { 200: settingsOutput } } },
    async (req) => getAnalyticsSettings(ctx, principalOf(req).workspaceId),
  );
  app.put(
    '/analytics/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Set the industry reference for 复购率',
        body: analyticsSettings,
        response: { 200: settingsOutput },
      },
    },
    async (req) => setAnalyticsSettings(ctx, principalOf(req).workspaceId, req.body),
  );
  app.post(
    '/analytics/rebuild',
    {
      // Minutes of a core at a million customers: a maintenance action, like the CLV model's refit.
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Queue a rebuild of the analytics figures from the orders (runs in the background)',
        response: {
          202: z.object({
            queued: z.boolean(),
            joined: z.boolean().describe('a rebuild was already waiting to start: this request joined it'),
          }),
        },
      },
    },
    async (req, reply) => {
      const ws = principalOf(req).workspaceId;
      // Repeated clicks queue one rebuild, not one each (ten ran one after another, minutes each at scale). A running
      // one may have read before the latest changes: one more waits behind it.
      const waiting = await ctx.db.kysely
        .selectFrom('jobs')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('kind', '=', JOB.analyticsRebuild)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      if (!waiting)
        await enqueue(
          ctx.db.kysely,
          { workspaceId: ws, kind: JOB.analyticsRebuild, dedupeKey: `manual:${newId()}` },
          nowIso(ctx),
        );
      return reply.code(202).send({ queued: true, joined: waiting !== undefined });
    },
  );
  app.get(
    '/analytics/export.csv',
    {
      config: { permission: 'export' },
      schema: { tags, summary: 'The tables of one 数据分析 view as CSV (UTF-8 with BOM)', querystring: exportQuery },
    },
    async (req, reply) => {
      const q = req.query;
      const tables = await viewTables(ctx, principalOf(req).workspaceId, q.view, q);
      return sendCsv(reply, `analytics-${q.view}.csv`, tablesCsv(tables));
    },
  );
  app.get(
    '/analytics/export.xlsx',
    {
      config: { permission: 'export' },
      schema: {
        tags,
        summary: 'The tables of one 数据分析 view as an Excel workbook (a sheet each)',
        querystring: exportQuery,
      },
    },
    async (req, reply) => {
      const q = req.query;
      const tables = await viewTables(ctx, principalOf(req).workspaceId, q.view, q);
      const out = new PassThrough();
      void tablesXlsx(tables, out); // ends or destroys out
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="analytics-${q.view}.xlsx"`)
        .send(out);
    },
  );
};
