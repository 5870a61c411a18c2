import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import {
  type ActionInput,
  actionOutput,
  couponAction,
  INLINE_LIMIT,
  pointsAction,
  segmentActions,
  startAction,
  tagAction,
} from './service.js';

const tags = ['segments'];
const headers = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });
const response = {
  200: actionOutput.describe('the same batch (or Idempotency-Key) again: the action asked for before'),
  201: actionOutput.describe(`done in the request (an audience up to ${INLINE_LIMIT} customers)`),
  202: actionOutput.describe('a bigger audience: queued as a job; follow it at GET /segments/{id}/actions'),
};

/** Bulk actions on a segment's customers (audiences/service.ts); each declares the permission its effect needs. */
export const audienceRoutes: ModuleRoutes = async (app, { ctx }) => {
  const start = async (
    req: { params: { id: string }; headers: { 'idempotency-key'?: string } },
    principal: ReturnType<typeof principalOf>,
    input: ActionInput,
  ) => {
    const r = await startAction(ctx, principal.workspaceId, req.params.id, input, {
      by: principal.userId,
      requestKey: req.headers['idempotency-key'],
    });
    const code: 200 | 201 | 202 = r.replayed ? 200 : r.action.status === 'queued' ? 202 : 201;
    return { code, action: r.action };
  };

  app.post(
    '/segments/:id/actions/tag',
    {
      config: { permission: 'segments:write' },
      schema: {
        tags,
        summary: 'Tag every customer of a segment (a job for a big audience)',
        params: idParams,
        headers,
        body: tagAction,
        response,
      },
    },
    async (req, reply) => {
      const r = await start(req, principalOf(req), { kind: 'tag', ...req.body });
      return reply.code(r.code).send(r.action);
    },
  );

  app.post(
    '/segments/:id/actions/coupon',
    {
      config: { permission: 'coupons:write' },
      schema: {
        tags,
        summary:
          'Issue a coupon to every customer of a segment (a job for a big audience); one coupon per customer and batch',
        params: idParams,
        headers,
        body: couponAction,
        response,
      },
    },
    async (req, reply) => {
      const r = await start(req, principalOf(req), { kind: 'coupon', ...req.body });
      return reply.code(r.code).send(r.action);
    },
  );

  app.post(
    '/segments/:id/actions/points',
    {
      config: { permission: 'points:write' },
      schema: {
        tags,
        summary: 'Grant points to every customer of a segment (a job for a big audience); once per customer and batch',
        params: idParams,
        headers,
        body: pointsAction,
        response,
      },
    },
    async (req, reply) => {
      const r = await start(req, principalOf(req), { kind: 'points', ...req.body });
      return reply.code(r.code).send(r.action);
    },
  );

  app.get(
    '/segments/:id/actions',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: "The latest bulk actions on a segment's customers, newest first",
        params: idParams,
        response: { 200: z.object({ items: z.array(actionOutput) }) },
      },
    },
    async (req) => ({ items: await segmentActions(ctx, principalOf(req).workspaceId, req.params.id) }),
  );
};
