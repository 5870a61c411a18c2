import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { customerListOutput, customerListQuery, customerSummary } from './schema.js';
import { customerDetail, searchCustomers } from './service.js';
import { orderOutput } from '../orders/schema.js';

const customerDetailOutput = customerSummary.extend({
  gender: z.string().nullable(),
  birthday: z.string().nullable(),
  consentSource: z.string().nullable(),
  consentAt: z.string().nullable(),
  identities: z.array(
    z.object({ id: z.string(), kind: z.string(), platform: z.string().nullable(), value: z.string(), storeId: z.string().nullable(), storeName: z.string().nullable(), createdAt: z.string() }),
  ),
  orders: z.array(orderOutput),
  moreOrders: z.boolean(),
});

export const customerRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['customers'];
  app.get('/customers', { schema: { tags, summary: 'Search and list customers', querystring: customerListQuery, response: { 200: customerListOutput } } }, async (req) => {
    const p = principalOf(req);
    return searchCustomers(ctx, p.workspaceId, req.query, p.role);
  });
  app.get('/customers/:id', { schema: { tags, summary: 'A customer with identities, stats and orders', params: idParams, response: { 200: customerDetailOutput } } }, async (req) => {
    const p = principalOf(req);
    return customerDetail(ctx, p.workspaceId, req.params.id, p.role);
  });
};
