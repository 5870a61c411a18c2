import { reason } from '../../core/reasons.js';
import { Invalid } from '../../core/errors.js';
import { JOB } from '../../jobs/kinds.js';
import { queuedJob, runAsJob, sendOutcome } from '../../jobs/wait.js';
import { z } from 'zod';
import { idParams, noContent, principalOf, type ModuleRoutes } from '../http.js';
import {
  archiveReward,
  createReward,
  listRewards,
  redeemReward,
  rewardInput,
  updateReward,
  voidRedemption,
} from './rewards.js';
import { getSegment } from '../segments/service.js';
import { referral, signIn } from './earn.js';
import {
  adjustInput,
  balanceOutput,
  earnInput,
  entryOutput,
  grantInput,
  grantOutput,
  idempotencyHeader,
  liabilityOutput,
  redeemInput,
  redeemOutput,
  redeemRewardInput,
  redemptionOutput,
  referralInput,
  rewardOutput,
  rewardsOutput,
  signInInput,
  syncOutput,
  voidOutput,
} from './schema.js';
import { credit, debit, getPointsSettings, liability, pointsOf, pointsSettings, setPointsSettings } from './service.js';

function keyOf(headers: { 'idempotency-key'?: string }): string {
  const k = headers['idempotency-key'];
  if (!k)
    throw new Invalid(
      'send an Idempotency-Key header (a unique string per intended operation), ' +
        'so that a retried request never happens twice',
      reason('idempotency.required'),
    );
  return `api:${k}`;
}

const tags = ['points'];

const balanceSchema = {
  tags,
  summary: 'Balance (pending, spendable, spent, expired, lifetime) and the ledger',
  params: idParams,
  response: { 200: balanceOutput },
};

const earnSchema = {
  tags,
  summary: 'Grant points (gift, compensation, referral …); needs an Idempotency-Key header',
  params: idParams,
  headers: idempotencyHeader,
  body: earnInput,
  response: { 201: entryOutput },
};

const redeemSchema = {
  tags,
  summary: 'Spend points (oldest expiry first); needs an Idempotency-Key header',
  params: idParams,
  headers: idempotencyHeader,
  body: redeemInput,
  response: { 201: redeemOutput },
};

const adjustSchema = {
  tags,
  summary: 'Correct a balance up or down (never below zero); needs an Idempotency-Key header',
  params: idParams,
  headers: idempotencyHeader,
  body: adjustInput,
  response: { 201: entryOutput },
};

const signInSchema = {
  tags,
  summary:
    'Daily sign-in / shop visit: earns the sign-in points once per local day ' +
    '(a repeat the same day answers the first entry)',
  params: idParams,
  body: signInInput,
  response: { 200: entryOutput },
};

const referralSchema = {
  tags,
  summary: 'This customer referred another: earns the referral points once per referred customer',
  params: idParams,
  body: referralInput,
  response: { 200: entryOutput },
};

const rewardsSchema = {
  tags,
  summary: 'The redemption catalogue (archived rewards only with archived=true)',
  querystring: z.object({ archived: z.enum(['true', 'false']).default('false') }),
  response: { 200: rewardsOutput },
};

const editRewardSchema = {
  tags,
  summary: "Change a reward's name, cost, stock or coupon (its kind stays; redemptions made keep theirs)",
  params: idParams,
  body: rewardInput,
  response: { 200: rewardOutput },
};

const archiveRewardSchema = {
  tags,
  summary: 'Archive a reward: no more redemptions; those made (and voiding them) stay',
  params: idParams,
  response: { 204: noContent },
};

const addRewardSchema = {
  tags,
  summary: 'Add a gift or cash voucher to the catalogue',
  body: rewardInput,
  response: { 201: rewardOutput },
};

const redeemRewardSchema = {
  tags,
  summary: 'A member buys a reward with points (Idempotency-Key header)',
  params: idParams,
  headers: idempotencyHeader,
  body: redeemRewardInput,
  response: { 200: redemptionOutput.describe('a retry: the redemption made before'), 201: redemptionOutput },
};

const grantSchema = {
  tags,
  summary: 'Grant points to everyone in a segment (idempotent per customer for the same batch)',
  body: grantInput,
  response: { 200: grantOutput, 202: queuedJob },
};

const voidSchema = {
  tags,
  summary: 'Void an unused reward: its points come back',
  params: idParams,
  response: { 200: voidOutput },
};

const liabilitySchema = {
  tags,
  summary: 'Outstanding points and their value by the month they expire',
  response: { 200: liabilityOutput },
};

const settingsSchema = {
  tags,
  summary: 'Earn rate, point value, expiry policy, return windows',
  response: { 200: pointsSettings },
};

const setSettingsSchema = {
  tags,
  summary: 'Change the points settings',
  body: pointsSettings,
  response: { 200: pointsSettings },
};

const syncSchema = {
  tags,
  summary: 'Earn points for new purchases and take back those of refunds, now',
  response: { 200: syncOutput, 202: queuedJob },
};

export const pointsRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get('/customers/:id/points', { config: { permission: 'customers:read' }, schema: balanceSchema }, async (req) =>
    pointsOf(ctx, principalOf(req).workspaceId, req.params.id),
  );

  app.post(
    '/customers/:id/points/earn',
    { config: { permission: 'points:write' }, schema: earnSchema },
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
    { config: { permission: 'points:write' }, schema: redeemSchema },
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
    { config: { permission: 'points:write' }, schema: adjustSchema },
    async (req, reply) => {
      const p = principalOf(req);
      const key = keyOf(req.headers);
      reply.code(201);
      const { points, reason } = req.body;
      const change = {
        customerId: req.params.id,
        kind: 'adjust' as const,
        source: 'adjustment',
        reason,
        key,
        by: p.userId,
      };
      return points > 0
        ? credit(ctx, p.workspaceId, { ...change, points })
        : debit(ctx, p.workspaceId, { ...change, points: -points });
    },
  );

  app.post(
    '/customers/:id/points/sign-in',
    { config: { permission: 'points:write' }, schema: signInSchema },
    async (req) => {
      const at = req.body.at ? new Date(req.body.at).toISOString() : undefined;
      return signIn(ctx, principalOf(req).workspaceId, req.params.id, at);
    },
  );

  app.post(
    '/customers/:id/referrals',
    { config: { permission: 'points:write' }, schema: referralSchema },
    async (req) => {
      const p = principalOf(req);
      return referral(ctx, p.workspaceId, req.params.id, req.body.referredCustomerId, p.userId);
    },
  );

  app.get('/points/rewards', { config: { permission: 'customers:read' }, schema: rewardsSchema }, async (req) => ({
    items: await listRewards(ctx, principalOf(req).workspaceId, { archived: req.query.archived === 'true' }),
  }));

  app.put('/points/rewards/:id', { config: { permission: 'points:write' }, schema: editRewardSchema }, async (req) =>
    updateReward(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );

  app.delete(
    '/points/rewards/:id',
    { config: { permission: 'points:write' }, schema: archiveRewardSchema },
    async (req, reply) => {
      await archiveReward(ctx, principalOf(req).workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/points/rewards',
    { config: { permission: 'points:write' }, schema: addRewardSchema },
    async (req, reply) => {
      reply.code(201);
      return createReward(ctx, principalOf(req).workspaceId, req.body);
    },
  );

  app.post(
    '/points/rewards/:id/redeem',
    { config: { permission: 'points:write' }, schema: redeemRewardSchema },
    async (req, reply) => {
      const p = principalOf(req);
      const key = keyOf(req.headers);
      const r = await redeemReward(ctx, p.workspaceId, req.params.id, req.body.customerId, key, p.userId);
      reply.code(r.replayed ? 200 : 201);
      return r;
    },
  );

  app.post('/points/grant', { config: { permission: 'points:write' }, schema: grantSchema }, async (req, reply) => {
    const ws = principalOf(req).workspaceId;
    await getSegment(ctx, ws, req.body.segmentId); // 404 here, not a failed job
    return sendOutcome(reply, await runAsJob(ctx, ws, JOB.pointsGrant, req.body));
  });

  app.post(
    '/points/redemptions/:id/void',
    { config: { permission: 'points:write' }, schema: voidSchema },
    async (req) => voidRedemption(ctx, principalOf(req).workspaceId, req.params.id),
  );

  app.get('/points/liability', { config: { permission: 'analytics:read' }, schema: liabilitySchema }, async (req) =>
    liability(ctx, principalOf(req).workspaceId),
  );

  app.get('/points/settings', { config: { permission: 'customers:read' }, schema: settingsSchema }, async (req) =>
    getPointsSettings(ctx, principalOf(req).workspaceId),
  );

  app.put('/points/settings', { config: { permission: 'settings:write' }, schema: setSettingsSchema }, async (req) =>
    setPointsSettings(ctx, principalOf(req).workspaceId, req.body),
  );

  app.post('/points/sync', { config: { permission: 'points:write' }, schema: syncSchema }, async (req, reply) => {
    const ws = principalOf(req).workspaceId;
    return sendOutcome(reply, await runAsJob(ctx, ws, JOB.points, {}));
  });
};
