import { z } from 'zod';
import { Invalid } from '../../core/errors.js';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { createReward, grantToSegment, listRewards, redeemReward, rewardInput, voidRedemption } from './rewards.js';
import { getSegment } from '../segments/service.js';
import { referral, signIn } from './earn.js';
import {
  credit,
  debit,
  expireDue,
  getPointsSettings,
  liability,
  pointsOf,
  pointsSettings,
  setPointsSettings,
  syncOrderPoints,
} from './service.js';

const entry = z.object({
  id: z.string(),
  kind: z.string(),
  points: z.number(),
  source: z.string(),
  reason: z.string().nullable(),
  orderId: z.string().nullable(),
  availableAt: z.string().nullable(),
  /** Order points waiting for the order to be delivered: no date yet (availableAt null). */
  awaitingDelivery: z.boolean(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  replayed: z.boolean(),
});
const summary = z.object({
  pending: z.number(),
  spendable: z.number(),
  spent: z.number(),
  expired: z.number(),
  lifetime: z.number(),
});
const keyHeader = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });

function keyOf(headers: { 'idempotency-key'?: string }): string {
  const k = headers['idempotency-key'];
  if (!k)
    throw new Invalid(
      'send an Idempotency-Key header (a unique string per intended operation), so that a retried request never happens twice',
    );
  return `api:${k}`;
}

export const pointsRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['points'];
  app.get(
    '/customers/:id/points',
    {
      schema: {
        tags,
        summary: 'Balance (pending, spendable, spent, expired, lifetime) and the ledger',
        params: idParams,
        response: { 200: z.object({ summary, entries: z.array(entry) }) },
      },
    },
    async (req) => pointsOf(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.post(
    '/customers/:id/points/earn',
    {
      schema: {
        tags,
        summary: 'Grant points (gift, compensation, referral …); needs an Idempotency-Key header',
        params: idParams,
        headers: keyHeader,
        body: z.object({
          points: z.number().int().min(1).max(10_000_000),
          source: z.string().trim().min(1).max(40).default('grant'),
          reason: z.string().max(200).nullable().default(null),
          expiresAt: z.iso.datetime().nullable().optional(),
        }),
        response: { 201: entry },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      reply.code(201);
      return credit(ctx, p.workspaceId, {
        customerId: req.params.id,
        points: req.body.points,
        kind: 'earn',
        source: req.body.source,
        reason: req.body.reason,
        expiresAt: req.body.expiresAt,
        key: keyOf(req.headers),
        by: p.userId,
      });
    },
  );
  app.post(
    '/customers/:id/points/redeem',
    {
      schema: {
        tags,
        summary: 'Spend points (oldest expiry first); needs an Idempotency-Key header',
        params: idParams,
        headers: keyHeader,
        body: z.object({
          points: z.number().int().min(1).max(10_000_000),
          source: z.string().trim().min(1).max(40).default('redemption'),
          reason: z.string().max(200).nullable().default(null),
        }),
        response: { 201: entry.extend({ allocations: z.array(z.object({ lotId: z.string(), points: z.number() })) }) },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      reply.code(201);
      return debit(ctx, p.workspaceId, {
        customerId: req.params.id,
        points: req.body.points,
        kind: 'redeem',
        source: req.body.source,
        reason: req.body.reason,
        key: keyOf(req.headers),
        by: p.userId,
      });
    },
  );
  app.post(
    '/customers/:id/points/adjust',
    {
      schema: {
        tags,
        summary: 'Correct a balance up or down (never below zero); needs an Idempotency-Key header',
        params: idParams,
        headers: keyHeader,
        body: z.object({
          points: z
            .number()
            .int()
            .refine((n) => n !== 0, 'points cannot be 0'),
          reason: z.string().trim().min(1, 'say why').max(200),
        }),
        response: { 201: entry },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const key = keyOf(req.headers);
      reply.code(201);
      const { points, reason } = req.body;
      return points > 0
        ? credit(ctx, p.workspaceId, {
            customerId: req.params.id,
            points,
            kind: 'adjust',
            source: 'adjustment',
            reason,
            key,
            by: p.userId,
          })
        : debit(ctx, p.workspaceId, {
            customerId: req.params.id,
            points: -points,
            kind: 'adjust',
            source: 'adjustment',
            reason,
            key,
            by: p.userId,
          });
    },
  );
  app.post(
    '/customers/:id/points/sign-in',
    {
      schema: {
        tags,
        summary:
          'Daily sign-in / shop visit: earns the sign-in points once per local day (a repeat the same day answers the first entry)',
        params: idParams,
        body: z.object({ at: z.iso.datetime({ offset: true }).optional() }).default({}),
        response: { 200: entry },
      },
    },
    async (req) =>
      signIn(
        ctx,
        principalOf(req).workspaceId,
        req.params.id,
        req.body.at ? new Date(req.body.at).toISOString() : undefined,
      ),
  );
  app.post(
    '/customers/:id/referrals',
    {
      schema: {
        tags,
        summary: 'This customer referred another: earns the referral points once per referred customer',
        params: idParams,
        body: z.object({ referredCustomerId: z.string().min(1) }),
        response: { 200: entry },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return referral(ctx, p.workspaceId, req.params.id, req.body.referredCustomerId, p.userId);
    },
  );
  app.get('/points/rewards', { schema: { tags, summary: 'The redemption catalogue' } }, async (req) => ({
    items: await listRewards(ctx, principalOf(req).workspaceId),
  }));
  app.post(
    '/points/rewards',
    { schema: { tags, summary: 'Add a gift or cash voucher to the catalogue', body: rewardInput } },
    async (req, reply) => {
      reply.code(201);
      return createReward(ctx, principalOf(req).workspaceId, req.body);
    },
  );
  app.post(
    '/points/rewards/:id/redeem',
    {
      schema: {
        tags,
        summary: 'A member buys a reward with points (Idempotency-Key header)',
        params: idParams,
        headers: keyHeader,
        body: z.object({ customerId: z.string() }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const r = await redeemReward(
        ctx,
        p.workspaceId,
        req.params.id,
        req.body.customerId,
        keyOf(req.headers),
        p.userId,
      );
      reply.code(r.replayed ? 200 : 201);
      return r;
    },
  );
  app.post(
    '/points/grant',
    {
      schema: {
        tags,
        summary: 'Grant points to everyone in a segment (idempotent per customer for the same batch)',
        body: z.object({
          segmentId: z.string(),
          points: z.number().int().min(1).max(1_000_000),
          batch: z.string().trim().min(1).max(60),
          reason: z.string().trim().min(1).max(200),
        }),
      },
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const seg = await getSegment(ctx, ws, req.body.segmentId);
      return grantToSegment(ctx, ws, seg.rule, req.body.points, req.body.batch, req.body.reason);
    },
  );
  app.post(
    '/points/redemptions/:id/void',
    { schema: { tags, summary: 'Void an unused reward: its points come back', params: idParams } },
    async (req) => voidRedemption(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.get(
    '/points/liability',
    {
      schema: {
        tags,
        summary: 'Outstanding points and their value by the month they expire',
        response: {
          200: z.object({
            items: z.array(
              z.object({ expiresIn: z.string(), pending: z.number(), spendable: z.number(), valueFen: z.number() }),
            ),
            totalPoints: z.number(),
            totalValueFen: z.number(),
          }),
        },
      },
    },
    async (req) => liability(ctx, principalOf(req).workspaceId),
  );
  app.get(
    '/points/settings',
    {
      schema: {
        tags,
        summary: 'Earn rate, point value, expiry policy, return windows',
        response: { 200: pointsSettings },
      },
    },
    async (req) => getPointsSettings(ctx, principalOf(req).workspaceId),
  );
  app.put(
    '/points/settings',
    {
      schema: { tags, summary: 'Change the points settings', body: pointsSettings, response: { 200: pointsSettings } },
    },
    async (req) => setPointsSettings(ctx, principalOf(req).workspaceId, req.body),
  );
  app.post(
    '/points/sync',
    {
      schema: {
        tags,
        summary: 'Earn points for new purchases and take back those of refunds, now',
        response: { 200: z.object({ earned: z.number(), reversed: z.number(), expired: z.number() }) },
      },
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const expired = await expireDue(ctx, ws);
      return { ...(await syncOrderPoints(ctx, ws)), expired };
    },
  );
};
