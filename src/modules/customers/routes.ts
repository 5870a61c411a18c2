import { reason, requestLanguage } from '../../core/reasons.js';
import { rm } from 'node:fs/promises';
import type {} from '@fastify/multipart';
import { z } from 'zod';
import { Invalid } from '../../core/errors.js';
import { importCustomerAttributes } from './attributes.js';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { saveUpload, uploadError } from '../uploads.js';
import { customerListOutput, customerListQuery, customerPatch, customerSummary } from './schema.js';
import { mergeCustomers, mergesOf, undoMerge } from './merge.js';
import { updateCustomer } from './profile.js';
import { customerTimeline } from './timeline.js';
import { customerDetail, searchCustomers } from './service.js';
import { customerExportLayout, customerExportRows } from './export.js';
import { changePurchaseRule, purchaseRule, purchaseSettings } from './stats.js';
import { orderOutput } from '../orders/schema.js';
import { customerPredictionOut } from '../predict/schema.js';
import { offLoop } from '../heavy/run.js';

const customerDetailOutput = customerSummary.extend({
  gender: z.string().nullable(),
  birthday: z.string().nullable(),
  wechat: z.string().nullable(),
  qq: z.string().nullable(),
  source: z.string().nullable(),
  /** Personal data erased (PIPL): the file is kept for the figures and changes no more. */
  erased: z.boolean(),
  flags: z.object({
    isPicky: z.boolean(),
    isBadReviewer: z.boolean(),
    isBlacklisted: z.boolean(),
    optOutSms: z.boolean(),
    optOutEmail: z.boolean(),
    optOutWechat: z.boolean(),
  }),
  consentSource: z.string().nullable(),
  consentAt: z.string().nullable(),
  identities: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      platform: z.string().nullable(),
      value: z.string(),
      storeId: z.string().nullable(),
      storeName: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
  orders: z.array(orderOutput),
  moreOrders: z.boolean(),
  /** Predicted value (BG/NBD + Gamma-Gamma), null before the first fit or for a customer who never bought. */
  prediction: customerPredictionOut.nullable(),
});

export const customerRoutes: ModuleRoutes = async (app, { ctx, uploadDir, uploads }) => {
  const tags = ['customers'];
  app.get(
    '/customers',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Search and list customers',
        querystring: customerListQuery,
        response: { 200: customerListOutput },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return searchCustomers(ctx, p.workspaceId, req.query, p.role);
    },
  );
  app.get(
    '/customers/:id',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'A customer with identities, stats and orders',
        params: idParams,
        response: { 200: customerDetailOutput },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return customerDetail(ctx, p.workspaceId, req.params.id, p.role);
    },
  );
  app.patch(
    '/customers/:id',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags,
        summary: 'Edit profile fields, flags, opt-outs and marketing consent',
        params: idParams,
        body: customerPatch,
        response: { 200: customerDetailOutput },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await updateCustomer(
        ctx,
        p.workspaceId,
        req.params.id,
        req.body,
        p.userId,
        p.via === 'token' ? 'api' : 'console',
      );
      return customerDetail(ctx, p.workspaceId, req.params.id, p.role);
    },
  );
  app.post(
    '/customers/attributes',
    {
      config: { permission: 'import' },
      schema: {
        tags,
        summary:
          'Set profile fields, flags, tags and groups from a CSV/XLSX ' +
          '(multipart field "file"); rows name the customer by 客户ID, 买家昵称 or 手机',
        consumes: ['multipart/form-data'],
        response: {
          200: z.object({
            rowsRead: z.number(),
            customersUpdated: z.number(),
            rowsRejected: z.number(),
            errors: z.array(
              z.object({
                line: z.number(),
                column: z.string().nullable(),
                reason: z.string(),
                value: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (!req.isMultipart())
        throw new Invalid(
          'send the file as multipart/form-data in the field "file"',
          reason('upload.fileField', { field: 'file' }),
        );
      const file = await req.file().catch((e: unknown) => {
        throw uploadError(e);
      });
      if (!file)
        throw new Invalid(
          'send the file as multipart/form-data in the field "file"',
          reason('upload.fileField', { field: 'file' }),
        );
      const path = await saveUpload(req, file, uploadDir, uploads, 'attributes-');
      try {
        return await importCustomerAttributes(ctx, p.workspaceId, path, p.userId);
      } finally {
        await rm(path, { force: true });
      }
    },
  );
  app.get(
    '/customers/:id/timeline',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Everything that happened with a customer, newest first',
        params: idParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                at: z.string(),
                kind: z.string(),
                title: z.string(),
                detail: z.string().nullable(),
                ref: z.object({ type: z.string(), id: z.string() }).nullable(),
                order: z
                  .object({
                    id: z.string(),
                    number: z.string().describe("the platform's order number"),
                    products: z.string().nullable().describe('the product titles of its lines'),
                  })
                  .nullable()
                  .describe('the order the event belongs to (the console groups by it)'),
                params: z
                  .record(z.string(), z.union([z.string(), z.number()]))
                  .nullable()
                  .describe('amounts (fen), points and names in the title, to say it in another language'),
                why: z
                  .object({ key: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) })
                  .nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await customerDetail(ctx, p.workspaceId, req.params.id, p.role);
      return { items: await customerTimeline(ctx, p.workspaceId, req.params.id, req.query.limit, p.role) };
    },
  );
  const mergeOutput = z.object({
    id: z.string(),
    targetId: z.string(),
    sourceId: z.string(),
    mergedAt: z.string(),
    orders: z.number(),
    identities: z.number(),
  });
  app.post(
    '/customers/:id/merge',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags,
        summary: 'Merge another customer into this one (undoable)',
        params: idParams,
        body: z.object({ sourceId: z.string().min(1) }),
        response: { 200: mergeOutput },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return mergeCustomers(ctx, p.workspaceId, req.params.id, req.body.sourceId, p.userId);
    },
  );
  app.get(
    '/customers/:id/merges',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Merges this customer took part in',
        params: idParams,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                targetId: z.string(),
                sourceId: z.string(),
                sourceName: z.string(),
                mergedAt: z.string(),
                undoneAt: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await mergesOf(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
  app.post(
    '/merges/:id/undo',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags,
        summary: 'Undo a merge: the merged customer comes back with what was theirs',
        params: idParams,
        response: {
          200: z.object({ id: z.string(), targetId: z.string(), sourceId: z.string(), undoneAt: z.string() }),
        },
      },
    },
    async (req) => undoMerge(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.get(
    '/stats/settings',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'What counts as a purchase (zeroPaidCounts: 0-yuan gifts and samples count too)',
        response: { 200: purchaseSettings },
      },
    },
    async (req) => purchaseRule(ctx.db.kysely, principalOf(req).workspaceId),
  );
  app.put(
    '/stats/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: "Change what counts as a purchase; every customer's stats and RFM are recomputed in the background",
        body: purchaseSettings,
        response: { 200: purchaseSettings },
      },
    },
    async (req) => changePurchaseRule(ctx, principalOf(req).workspaceId, req.body),
  );
  app.post(
    '/customers/export',
    {
      config: { permission: 'export' },
      schema: {
        tags,
        summary:
          'Export rows of chosen customers: the columns of a segment export ' +
          '(buyer nick and id per platform, stores, phone, email, figures)',
        querystring: z.object({
          lang: z.enum(['zh-CN', 'en']).optional().describe('headers and values in this language (else zh-CN)'),
        }),
        body: z.object({ ids: z.array(z.string()).min(1).max(5000) }).strict(),
        response: {
          200: z.object({
            columns: z.array(z.string()),
            rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const lang = requestLanguage(req.query.lang, req.headers['accept-language']);
      const layout = await customerExportLayout(ctx, p.workspaceId, lang);
      return {
        columns: layout.columns,
        // Up to 5,000 customers' rows (0.2–0.3 s): read off the event loop.
        rows: await offLoop(ctx, 'customers.export', customerExportRows, p.workspaceId, req.body.ids, p.role, layout),
      };
    },
  );
};
