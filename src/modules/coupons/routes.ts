import { z } from 'zod';
import { Invalid } from '../../core/errors.js';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { getSegment } from '../segments/service.js';
import {
  couponReport,
  createTemplate,
  customerCoupons,
  expireCoupons,
  expiringCoupons,
  issueCoupon,
  issueToSegment,
  listTemplates,
  matchCouponUses,
  templateInput,
} from './service.js';

export const couponRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['coupons'];
  app.get('/coupons/templates', { schema: { tags, summary: 'Coupon templates' } }, async (req) => ({
    items: await listTemplates(ctx, principalOf(req).workspaceId),
  }));
  app.post(
    '/coupons/templates',
    { schema: { tags, summary: 'Create a coupon template (满减, 折扣, 包邮, 现金券, 阶梯券 …)', body: templateInput } },
    async (req, reply) => {
      reply.code(201);
      return createTemplate(ctx, principalOf(req).workspaceId, req.body);
    },
  );
  app.post(
    '/coupons/templates/:id/issue',
    {
      schema: {
        tags,
        summary:
          'Issue a coupon to one customer (Idempotency-Key header); compensation coupons need valueFen and itemValueFen',
        params: idParams,
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        body: z.object({
          customerId: z.string(),
          valueFen: z.number().int().min(1).optional(),
          itemValueFen: z.number().int().min(1).optional(),
        }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const key = req.headers['idempotency-key'];
      if (!key) throw new Invalid('send an Idempotency-Key header, so that a retried request issues once');
      const c = await issueCoupon(ctx, p.workspaceId, {
        templateId: req.params.id,
        customerId: req.body.customerId,
        key: `api:${key}`,
        source: req.body.valueFen ? 'compensation' : 'manual',
        valueFen: req.body.valueFen,
        itemValueFen: req.body.itemValueFen,
      });
      reply.code(c.replayed ? 200 : 201);
      return { id: c.id, code: c.code, validFrom: c.valid_from, validTo: c.valid_to, replayed: c.replayed };
    },
  );
  app.post(
    '/coupons/templates/:id/issue-segment',
    {
      schema: {
        tags,
        summary: 'Issue to everyone in a segment (idempotent per customer for the same batch)',
        params: idParams,
        body: z.object({ segmentId: z.string(), batch: z.string().min(1).max(60) }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      const seg = await getSegment(ctx, p.workspaceId, req.body.segmentId);
      return issueToSegment(ctx, p.workspaceId, req.params.id, seg.rule, `${req.params.id}:${req.body.batch}`);
    },
  );
  app.get(
    '/coupons/report',
    { schema: { tags, summary: 'Issued, used, expired and the revenue of orders that used them' } },
    async (req) => ({ items: await couponReport(ctx, principalOf(req).workspaceId) }),
  );
  app.get(
    '/coupons/expiring',
    {
      schema: {
        tags,
        summary: 'Coupons expiring within N days (reminders)',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(90).default(7) }),
      },
    },
    async (req) => ({
      items: await expiringCoupons(ctx, principalOf(req).workspaceId, req.query.days),
    }),
  );
  app.get(
    '/customers/:id/coupons',
    { schema: { tags, summary: "A customer's coupons", params: idParams } },
    async (req) => ({ items: await customerCoupons(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
  app.post(
    '/coupons/sync',
    { schema: { tags, summary: 'Mark coupons used by imported orders and close expired ones, now' } },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      return { used: await matchCouponUses(ctx, ws), expired: await expireCoupons(ctx, ws) };
    },
  );
};
