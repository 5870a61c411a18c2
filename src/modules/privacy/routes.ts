import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { consentHistory } from '../customers/consent.js';
import { eraseCustomer } from './erase.js';
import { customerDataExport, dataExportZip } from './export.js';
import { piplRequests } from './requests.js';

const tags = ['privacy'];

const consentEvent = z.object({
  id: z.string(),
  channel: z.string().describe('marketing | sms | email | wechat'),
  oldValue: z.string().nullable().describe('marketing: granted | denied | unknown; a channel: subscribed | opted_out'),
  newValue: z.string(),
  source: z.string().describe('import | attributes | console | api | reply | unsubscribe | merge | erasure | demo'),
  detail: z.string().nullable(),
  by: z.string().nullable().describe('login of the user who made the change'),
  at: z.string(),
});

const erasureSummary = z.object({
  identities: z.number(),
  orders: z.number(),
  notes: z.number(),
  messages: z.number(),
  replies: z.number(),
  reviews: z.number(),
  feedback: z.number(),
  tasks: z.number(),
  surveyResponses: z.number(),
  merges: z.number(),
});

/** Personal-information requests (PIPL): consent history, a customer's data export, erasure. */
export const privacyRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get(
    '/customers/:id/consent',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Consent history: every change of marketing consent and channel opt-outs, newest first',
        params: idParams,
        response: { 200: z.object({ items: z.array(consentEvent) }) },
      },
    },
    async (req) => ({ items: await consentHistory(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
  app.get(
    '/customers/:id/data-export',
    {
      config: { permission: 'pii:read' },
      schema: {
        tags,
        summary:
          'Everything held about a customer (PIPL access request) as JSON: profile, identities, orders with ' +
          'lines and export columns, points, coupons, tags, notes, messages, consent history … (recorded)',
        params: idParams,
        response: {
          200: z.object({
            customerId: z.string(),
            exportedAt: z.string(),
            sections: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return customerDataExport(ctx, p.workspaceId, req.params.id, { userId: p.userId, login: p.login }, 'json');
    },
  );
  app.get(
    '/customers/:id/data-export.zip',
    {
      config: { permission: 'pii:read' },
      schema: {
        tags,
        summary: 'The same as a zip: one CSV per section (UTF-8, opens in Excel/WPS) and customer.json (recorded)',
        params: idParams,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const data = await customerDataExport(
        ctx,
        p.workspaceId,
        req.params.id,
        { userId: p.userId, login: p.login },
        'zip',
      );
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="customer-${encodeURIComponent(req.params.id)}.zip"`)
        .send(dataExportZip(data));
    },
  );
  app.post(
    '/customers/:id/erase',
    {
      config: { permission: 'customers:erase' },
      schema: {
        tags,
        summary:
          "Erase a customer's personal data on request (PIPL): profile, identities, orders' receiver fields and " +
          'personal export columns, notes, message addresses; amounts and dates stay. Not undoable; recorded.',
        params: idParams,
        body: z
          .object({
            confirm: z.string().min(1).describe("the customer's name or id, typed to confirm"),
            reason: z.string().max(500).nullable().optional(),
          })
          .strict(),
        response: {
          200: z.object({
            requestId: z.string(),
            customerId: z.string(),
            erasedAt: z.string(),
            summary: erasureSummary,
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return eraseCustomer(ctx, p.workspaceId, req.params.id, req.body, { userId: p.userId, login: p.login });
    },
  );
  app.get(
    '/customers/:id/pipl-requests',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Personal-information requests carried out for a customer (exports and erasures)',
        params: idParams,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                kind: z.enum(['export', 'erase']),
                by: z.string().nullable(),
                reason: z.string().nullable(),
                summary: z.record(z.string(), z.unknown()),
                at: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await piplRequests(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
};
