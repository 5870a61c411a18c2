import type { FastifyPluginAsync } from 'fastify';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import type { AppContext } from '../context.js';
import { orderEvents } from '../automations/events.js';
import { ingestOrders } from './api.js';
import {
  orderDetailOutput,
  orderEventsOutput,
  orderListOutput,
  orderListQuery,
  ordersIngestInput,
  ordersIngestOutput,
  webhookSecretInput,
  webhookSecretOutput,
} from './schema.js';
import { listOrders, orderDetail } from './service.js';
import { receiveShopify, setWebhookSecret } from './webhooks.js';

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
  app.post(
    '/orders',
    {
      config: { permission: 'import' },
      schema: {
        tags,
        summary: 'Send one order or a batch (an ERP, a script): idempotent by store + order id, status only forward',
        body: ordersIngestInput,
        response: { 200: ordersIngestOutput },
      },
    },
    async (req) => ingestOrders(ctx, principalOf(req).workspaceId, req.body),
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
  app.get(
    '/orders/:id/events',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: "An order's events (created, paid, shipped …) with when each happened",
        params: idParams,
        response: { 200: orderEventsOutput },
      },
    },
    async (req) => ({ items: await orderEvents(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
  app.put(
    '/stores/:id/webhook',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: "Set the store's Shopify webhook secret (or make one) and get the address to send to",
        params: idParams,
        body: webhookSecretInput,
        response: { 200: webhookSecretOutput },
      },
    },
    async (req) => setWebhookSecret(ctx, principalOf(req).workspaceId, req.params.id, req.body.secret),
  );
};

/** Shopify's order webhooks: public (no login), checked by their signature. Outside /api/, like the reply hooks. */
export function orderPublicRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.register(async (scoped) => {
      // The signature covers the exact bytes: keep the body as text until it is verified.
      // The raw text for the signature, in place of the app's JSON parser (input-guard.ts).
      scoped.removeContentTypeParser('application/json');
      scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
      scoped.post<{ Params: { ws: string; storeId: string }; Body: string }>(
        '/hooks/shopify/:ws/:storeId',
        { config: { permission: 'public' }, schema: { hide: true } },
        async (req) => {
          const h = (n: string) => {
            const v = req.headers[n];
            return Array.isArray(v) ? v[0] : v;
          };
          return receiveShopify(ctx, {
            ws: req.params.ws,
            storeId: req.params.storeId,
            topic: h('x-shopify-topic'),
            webhookId: h('x-shopify-webhook-id'),
            signature: h('x-shopify-hmac-sha256'),
            body: String(req.body ?? ''),
          });
        },
      );
    });
  };
}
