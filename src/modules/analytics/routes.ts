import { principalOf, type ModuleRoutes } from '../http.js';
import { dashboardOutput, dashboardQuery, provincesOutput } from './schema.js';
import { dashboard, provinces } from './service.js';

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
  summary: 'Buyers, orders and spend per province, largest spend first',
  response: { 200: provincesOutput },
};

export const analyticsRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get('/analytics/dashboard', { config: { permission: 'analytics:read' }, schema: dashboardSchema }, async (req) =>
    dashboard(ctx, principalOf(req).workspaceId, req.query.days),
  );

  app.get(
    '/analytics/provinces',
    { config: { permission: 'analytics:read' }, schema: provincesSchema },
    async (req) => ({
      items: await provinces(ctx, principalOf(req).workspaceId),
    }),
  );
};
