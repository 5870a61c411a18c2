import { reason } from '../../core/reasons.js';
import { JOB } from '../../jobs/kinds.js';
import { queuedJob, runAsJob, sendOutcome } from '../../jobs/wait.js';
import { z } from 'zod';
import { Invalid } from '../../core/errors.js';
import { idParams, noContent, principalOf, type ModuleRoutes } from '../http.js';
import { getSegment } from '../segments/service.js';
import {
  customerCouponsOutput,
  expiringOutput,
  expiringQuery,
  issuedOutput,
  issueInput,
  issueSegmentInput,
  issueSegmentOutput,
  reportOutput,
  syncOutput,
  templateOutput,
  templatesOutput,
} from './schema.js';
import {
  couponReport,
  archiveTemplate,
  createTemplate,
  customerCoupons,
  pauseTemplate,
  updateTemplate,
  expiringCoupons,
  issueCoupon,
  loadTemplate,
  listTemplates,
  templateInput,
} from './service.js';

const tags = ['coupons'];

const listTemplatesSchema = {
  tags,
  summary: 'Coupon templates (archived ones only with archived=true)',
  querystring: z.object({ archived: z.enum(['true', 'false']).default('false') }),
  response: { 200: templatesOutput },
};

const createTemplateSchema = {
  tags,
  summary: 'Create a coupon template (满减, 折扣, 包邮, 现金券, 阶梯券 …)',
  body: templateInput,
  response: { 201: templateOutput },
};

const issueSchema = {
  tags,
  summary:
    'Issue a coupon to one customer (Idempotency-Key header); ' + 'compensation coupons need valueFen and itemValueFen',
  params: idParams,
  headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
  body: issueInput,
  response: { 200: issuedOutput.describe('a retry: the coupon issued before'), 201: issuedOutput },
};

const issueSegmentSchema = {
  tags,
  summary: 'Issue to everyone in a segment (idempotent per customer for the same batch)',
  params: idParams,
  body: issueSegmentInput,
  response: { 200: issueSegmentOutput, 202: queuedJob },
};

const reportSchema = {
  tags,
  summary: 'Issued, used, expired and the revenue of orders that used them',
  response: { 200: reportOutput },
};

const expiringSchema = {
  tags,
  summary: 'Coupons expiring within N days (reminders)',
  querystring: expiringQuery,
  response: { 200: expiringOutput },
};

const customerCouponsSchema = {
  tags,
  summary: "A customer's coupons",
  params: idParams,
  response: { 200: customerCouponsOutput },
};

const syncSchema = {
  tags,
  summary: 'Mark coupons used by imported orders and close expired ones, now',
  response: { 200: syncOutput, 202: queuedJob },
};

export const couponRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get(
    '/coupons/templates',
    { config: { permission: 'customers:read' }, schema: listTemplatesSchema },
    async (req) => ({
      items: await listTemplates(ctx, principalOf(req).workspaceId, { archived: req.query.archived === 'true' }),
    }),
  );

  app.post(
    '/coupons/templates',
    { config: { permission: 'coupons:write' }, schema: createTemplateSchema },
    async (req, reply) => {
      reply.code(201);
      return createTemplate(ctx, principalOf(req).workspaceId, req.body);
    },
  );

  app.put(
    '/coupons/templates/:id',
    {
      config: { permission: 'coupons:write' },
      schema: {
        tags,
        summary:
          'Change a coupon template (name, validity, limits, stock); the rules of a template with coupons out stay',
        params: idParams,
        body: templateInput,
        response: { 200: templateOutput },
      },
    },
    async (req) => updateTemplate(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const)
    app.post(
      `/coupons/templates/:id/${action}`,
      {
        config: { permission: 'coupons:write' },
        schema: {
          tags,
          summary: paused
            ? 'Pause issuing a template (the coupons out stay usable)'
            : 'Resume issuing a paused template',
          params: idParams,
          response: { 200: templateOutput },
        },
      },
      async (req) => pauseTemplate(ctx, principalOf(req).workspaceId, req.params.id, paused),
    );

  app.delete(
    '/coupons/templates/:id',
    {
      config: { permission: 'coupons:write' },
      schema: {
        tags,
        summary: 'Archive a template: no more issuing; its coupons, their uses and its report line stay',
        params: idParams,
        response: { 204: noContent },
      },
    },
    async (req, reply) => {
      await archiveTemplate(ctx, principalOf(req).workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/coupons/templates/:id/issue',
    { config: { permission: 'coupons:write' }, schema: issueSchema },
    async (req, reply) => {
      const p = principalOf(req);
      const key = req.headers['idempotency-key'];
      if (!key)
        throw new Invalid(
          'send an Idempotency-Key header, so that a retried request issues once',
          reason('idempotency.required'),
        );
      // A value is a compensation coupon's: on another template it was dropped and the coupon called compensation.
      const given = req.body.valueFen !== undefined || req.body.itemValueFen !== undefined;
      if (given && (await loadTemplate(ctx, p.workspaceId, req.params.id)).compensation !== 1)
        throw new Invalid(
          'valueFen and itemValueFen are for a compensation template: this one has its value in its rules',
          reason('coupon.valueNotCompensation'),
        );
      const c = await issueCoupon(ctx, p.workspaceId, {
        templateId: req.params.id,
        customerId: req.body.customerId,
        key: `api:${key}`,
        source: given ? 'compensation' : 'manual',
        valueFen: req.body.valueFen,
        itemValueFen: req.body.itemValueFen,
      });
      reply.code(c.replayed ? 200 : 201);
      return { id: c.id, code: c.code, validFrom: c.valid_from, validTo: c.valid_to, replayed: c.replayed };
    },
  );

  app.post(
    '/coupons/templates/:id/issue-segment',
    { config: { permission: 'coupons:write' }, schema: issueSegmentSchema },
    async (req, reply) => {
      const p = principalOf(req);
      // 404s here, not a failed job.
      await loadTemplate(ctx, p.workspaceId, req.params.id);
      await getSegment(ctx, p.workspaceId, req.body.segmentId);
      const input = { templateId: req.params.id, ...req.body };
      return sendOutcome(reply, await runAsJob(ctx, p.workspaceId, JOB.couponsIssueSegment, input));
    },
  );

  app.get('/coupons/report', { config: { permission: 'analytics:read' }, schema: reportSchema }, async (req) => ({
    items: await couponReport(ctx, principalOf(req).workspaceId),
  }));

  app.get('/coupons/expiring', { config: { permission: 'customers:read' }, schema: expiringSchema }, async (req) =>
    expiringCoupons(ctx, principalOf(req).workspaceId, req.query.days, req.query.limit),
  );

  app.get(
    '/customers/:id/coupons',
    { config: { permission: 'customers:read' }, schema: customerCouponsSchema },
    async (req) => ({
      items: await customerCoupons(ctx, principalOf(req).workspaceId, req.params.id),
    }),
  );

  app.post('/coupons/sync', { config: { permission: 'coupons:write' }, schema: syncSchema }, async (req, reply) => {
    const ws = principalOf(req).workspaceId;
    return sendOutcome(reply, await runAsJob(ctx, ws, JOB.coupons, {}));
  });
};
