import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { orderDetailOutput, orderListOutput, orderListQuery } from './schema.js';
import { listOrders, orderDetail } from './service.js';

export const orderRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['orders'];
  app.get(
    '/orders',
    {
      config: { permission: 'customers:read' },
      schema: { tags, summary: 'List orders', querystring: orderListQuery, response: { 200: orderListOutput } },
    },
    async (req) => {
      const p = principalOf(req);
      return listOrders(ctx, p.workspaceId, req.query, p.role);
    },
  );
  app.get(
    '/orders/:id',
    {
      config: { permission: 'customers:read' },
      schema: { tags, summary: 'An order with its lines', params: idParams, response: { 200: orderDetailOutput } },
    },
    async (req) => {
      const p = principalOf(req);
      return orderDetail(ctx, p.workspaceId, req.params.id, p.role);
    },
  );
};
