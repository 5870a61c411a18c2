import { z } from 'zod';
import { benefitsSchema, tierSettingsSchema } from '../../core/tiers.js';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import {
  evaluateUpgrades,
  getTierSettings,
  memberTier,
  previewTiers,
  reevaluateYear,
  setTierFloor,
  setTierSettings,
} from './service.js';

const tierOut = z.object({ key: z.string(), name: z.string(), benefits: benefitsSchema });

export const membershipRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['membership'];
  app.get(
    '/tiers',
    { schema: { tags, summary: 'Tier ladder, thresholds and benefits, with members per tier' } },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const settings = await getTierSettings(ctx, ws);
      const counts = await ctx.db.kysely
        .selectFrom('member_tiers')
        .select((eb) => ['tier_key', eb.fn.countAll<number>().as('n')])
        .where('workspace_id', '=', ws)
        .groupBy('tier_key')
        .execute();
      return { ...settings, members: Object.fromEntries(counts.map((c) => [c.tier_key, Number(c.n)])) };
    },
  );
  app.put(
    '/tiers',
    { schema: { tags, summary: 'Change the tier ladder (see POST /tiers/preview first)', body: tierSettingsSchema } },
    async (req) => setTierSettings(ctx, principalOf(req).workspaceId, req.body),
  );
  app.post(
    '/tiers/preview',
    {
      schema: {
        tags,
        summary: 'What would happen with these thresholds: members per tier and how many move up/down',
        body: tierSettingsSchema,
        response: {
          200: z.object({
            before: z.array(z.object({ key: z.string(), name: z.string(), members: z.number() })),
            after: z.array(z.object({ key: z.string(), name: z.string(), members: z.number() })),
            wouldMoveUp: z.number(),
            wouldMoveDown: z.number(),
          }),
        },
      },
    },
    async (req) => previewTiers(ctx, principalOf(req).workspaceId, req.body),
  );
  app.post(
    '/tiers/evaluate',
    {
      schema: {
        tags,
        summary: 'Upgrade qualifying members now; yearly: true also runs the 12-month re-evaluation',
        body: z.object({ yearly: z.boolean().default(false) }),
      },
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const yearly = req.body.yearly ? await reevaluateYear(ctx, ws) : null;
      return { ...(await evaluateUpgrades(ctx, ws)), yearly };
    },
  );
  app.get(
    '/customers/:id/tier',
    {
      schema: {
        tags,
        summary: "A member's tier, benefits, staff floor, cycle and history",
        params: idParams,
        response: {
          200: z.object({
            tier: tierOut.nullable(),
            growth: z.number().describe('growth value (成长值) now'),
            floor: z.string().nullable(),
            cycleStartedAt: z.string().nullable(),
            history: z.array(
              z.object({ from: z.string().nullable(), to: z.string(), reason: z.string(), at: z.string() }),
            ),
          }),
        },
      },
    },
    async (req) => memberTier(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.put(
    '/customers/:id/tier',
    {
      schema: {
        tags,
        summary: 'Set a tier by hand (a floor)',
        params: idParams,
        body: z.object({ tierKey: z.string(), reason: z.string().max(200) }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await setTierFloor(ctx, p.workspaceId, req.params.id, req.body.tierKey, req.body.reason, p.userId);
      return reply.code(204).send();
    },
  );
};
