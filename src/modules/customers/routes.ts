import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { customerListOutput, customerListQuery, customerPatch, customerSummary } from './schema.js';
import { mergeCustomers, mergesOf, undoMerge } from './merge.js';
import { updateCustomer } from './profile.js';
import { customerTimeline } from './timeline.js';
import { customerDetail, searchCustomers } from './service.js';
import { orderOutput } from '../orders/schema.js';

const customerDetailOutput = customerSummary.extend({
  gender: z.string().nullable(),
  birthday: z.string().nullable(),
  wechat: z.string().nullable(),
  qq: z.string().nullable(),
  source: z.string().nullable(),
  flags: z.object({ isPicky: z.boolean(), isBadReviewer: z.boolean(), isBlacklisted: z.boolean(), optOutSms: z.boolean(), optOutEmail: z.boolean(), optOutWechat: z.boolean() }),
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
  app.patch('/customers/:id', { schema: { tags, summary: 'Edit profile fields, flags, opt-outs and marketing consent', params: idParams, body: customerPatch, response: { 200: customerDetailOutput } } }, async (req) => {
    const p = principalOf(req);
    await updateCustomer(ctx, p.workspaceId, req.params.id, req.body, p.userId);
    return customerDetail(ctx, p.workspaceId, req.params.id, p.role);
  });
  app.get(
    '/customers/:id/timeline',
    {
      schema: {
        tags,
        summary: 'Everything that happened with a customer, newest first',
        params: idParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(z.object({ at: z.string(), kind: z.string(), title: z.string(), detail: z.string().nullable(), ref: z.object({ type: z.string(), id: z.string() }).nullable() })) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await customerDetail(ctx, p.workspaceId, req.params.id, p.role);
      return { items: await customerTimeline(ctx, p.workspaceId, req.params.id, req.query.limit) };
    },
  );
  const mergeOutput = z.object({ id: z.string(), targetId: z.string(), sourceId: z.string(), mergedAt: z.string(), orders: z.number(), identities: z.number() });
  app.post(
    '/customers/:id/merge',
    { schema: { tags, summary: 'Merge another customer into this one (undoable)', params: idParams, body: z.object({ sourceId: z.string().min(1) }), response: { 200: mergeOutput } } },
    async (req) => {
      const p = principalOf(req);
      return mergeCustomers(ctx, p.workspaceId, req.params.id, req.body.sourceId, p.userId);
    },
  );
  app.get(
    '/customers/:id/merges',
    {
      schema: {
        tags,
        summary: 'Merges this customer took part in',
        params: idParams,
        response: { 200: z.object({ items: z.array(z.object({ id: z.string(), targetId: z.string(), sourceId: z.string(), sourceName: z.string(), mergedAt: z.string(), undoneAt: z.string().nullable() })) }) },
      },
    },
    async (req) => ({ items: await mergesOf(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
  app.post(
    '/merges/:id/undo',
    { schema: { tags, summary: 'Undo a merge: the merged customer comes back with what was theirs', params: idParams, response: { 200: z.object({ id: z.string(), targetId: z.string(), sourceId: z.string(), undoneAt: z.string() }) } } },
    async (req) => undoMerge(ctx, principalOf(req).workspaceId, req.params.id),
  );
};
