import { tierSettingsSchema } from '../../core/tiers.js';
import { JOB } from '../../jobs/kinds.js';
import { queuedJob, runAsJob, sendOutcome } from '../../jobs/wait.js';
import { idParams, noContent, principalOf, type ModuleRoutes } from '../http.js';
import {
  evaluateInput,
  evaluateOutput,
  memberTierOutput,
  tierFloorInput,
  tierLadderOutput,
  tierPreviewOutput,
  tierSettingsOutput,
} from './schema.js';
import { memberTier, previewTiers, setTierFloor, setTierSettings, tierLadder } from './service.js';
import { offLoop } from '../heavy/run.js';

const tags = ['membership'];

const ladderSchema = {
  tags,
  summary: 'Tier ladder, thresholds and benefits, with members per tier',
  response: { 200: tierLadderOutput },
};

const setLadderSchema = {
  tags,
  summary: 'Change the tier ladder (see POST /tiers/preview first)',
  body: tierSettingsSchema,
  response: { 200: tierSettingsOutput },
};

const previewSchema = {
  tags,
  summary: 'What would happen with these thresholds: members per tier and how many move up/down',
  body: tierSettingsSchema,
  response: { 200: tierPreviewOutput },
};

const evaluateSchema = {
  tags,
  summary: 'Upgrade qualifying members now; yearly: true also runs the 12-month re-evaluation',
  body: evaluateInput,
  response: { 200: evaluateOutput, 202: queuedJob },
};

const memberTierSchema = {
  tags,
  summary: "A member's tier, benefits, staff floor, cycle and history",
  params: idParams,
  response: { 200: memberTierOutput },
};

const setFloorSchema = {
  tags,
  summary: 'Set a tier by hand (a floor)',
  params: idParams,
  body: tierFloorInput,
  response: { 204: noContent },
};

export const membershipRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get('/tiers', { config: { permission: 'customers:read' }, schema: ladderSchema }, async (req) =>
    tierLadder(ctx, principalOf(req).workspaceId),
  );

  app.put('/tiers', { config: { permission: 'settings:write' }, schema: setLadderSchema }, async (req) =>
    setTierSettings(ctx, principalOf(req).workspaceId, req.body),
  );

  app.post('/tiers/preview', { config: { permission: 'analytics:read' }, schema: previewSchema }, async (req) =>
    // Every member's tier under the proposed ladder (a few hundred ms on the 20,000-customer demo): a heavy read.
    offLoop(ctx, 'tiers.preview', previewTiers, principalOf(req).workspaceId, req.body),
  );

  app.post(
    '/tiers/evaluate',
    { config: { permission: 'settings:write' }, schema: evaluateSchema },
    async (req, reply) => {
      const ws = principalOf(req).workspaceId;
      const { yearly } = req.body;
      return sendOutcome(reply, await runAsJob(ctx, ws, JOB.tiers, { yearly }));
    },
  );

  app.get('/customers/:id/tier', { config: { permission: 'customers:read' }, schema: memberTierSchema }, async (req) =>
    memberTier(ctx, principalOf(req).workspaceId, req.params.id),
  );

  app.put(
    '/customers/:id/tier',
    { config: { permission: 'points:write' }, schema: setFloorSchema },
    async (req, reply) => {
      const p = principalOf(req);
      await setTierFloor(ctx, p.workspaceId, req.params.id, req.body.tierKey, req.body.reason, p.userId);
      return reply.code(204).send(null);
    },
  );
};
