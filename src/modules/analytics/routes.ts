import { z } from 'zod';
import { principalOf, type ModuleRoutes } from '../http.js';
import { dashboard, provinces } from './service.js';

export const analyticsRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['analytics'];
  app.get(
    '/analytics/dashboard',
    {
      schema: {
        tags,
        summary:
          "Today's and the last N days' member KPIs (buyers, 老会员占比, repurchase, AOV) and a daily trend, in the workspace time zone",
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
      },
    },
    async (req) => dashboard(ctx, principalOf(req).workspaceId, req.query.days),
  );
  app.get(
    '/analytics/provinces',
    { schema: { tags, summary: 'Buyers, orders and spend per province, largest spend first' } },
    async (req) => ({
      items: await provinces(ctx, principalOf(req).workspaceId),
    }),
  );
};
