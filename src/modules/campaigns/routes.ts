import { z } from 'zod';
import { errorBody, idParams, principalOf, sendCsv, type ModuleRoutes } from '../http.js';
import { campaignAttribution, campaignHandoff, campaignReport } from './report.js';
import { attributionView, campaignInput, campaignView, dryRunView, reportView } from './schema.js';
import {
  cancelCampaign,
  createCampaign,
  dryRun,
  getCampaign,
  launchCampaign,
  listCampaigns,
  pauseCampaign,
  resumeCampaign,
  updateCampaign,
} from './service.js';

const errors = { 400: errorBody, 404: errorBody, 409: errorBody };

export const campaignRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['campaigns'];
  app.get(
    '/campaigns',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Campaigns, newest first',
        response: { 200: z.object({ items: z.array(campaignView) }) },
      },
    },
    async (req) => ({ items: await listCampaigns(ctx, principalOf(req).workspaceId) }),
  );
  app.post(
    '/campaigns',
    {
      config: { permission: 'campaigns:write' },
      schema: {
        tags,
        summary: 'Create a draft: audience (segment), channel, A/B variants, hold-out %, budget, attribution window',
        body: campaignInput,
        response: { 201: campaignView, ...errors },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      reply.code(201);
      return createCampaign(ctx, p.workspaceId, req.body, p.userId);
    },
  );
  app.get(
    '/campaigns/:id',
    {
      config: { permission: 'campaigns:read' },
      schema: { tags, summary: 'One campaign', params: idParams, response: { 200: campaignView, 404: errorBody } },
    },
    async (req) => getCampaign(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.put(
    '/campaigns/:id',
    {
      config: { permission: 'campaigns:write' },
      schema: {
        tags,
        summary: 'Edit a draft',
        params: idParams,
        body: campaignInput,
        response: { 200: campaignView, ...errors },
      },
    },
    async (req) => updateCampaign(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );
  app.post(
    '/campaigns/:id/dry-run',
    {
      config: { permission: 'campaigns:write' },
      schema: {
        tags,
        summary: 'How many would receive it now, how many each rule holds back, SMS parts and cost (nothing is queued)',
        params: idParams,
        response: { 200: dryRunView, ...errors },
      },
    },
    async (req) => dryRun(ctx, principalOf(req).workspaceId, req.params.id),
  );
  for (const [action, fn, summary] of [
    ['launch', launchCampaign, 'Launch: snapshot the audience, draw control and variants, queue the messages'],
    ['pause', pauseCampaign, 'Pause sending (queued messages wait)'],
    ['resume', resumeCampaign, 'Resume a paused campaign'],
    ['cancel', cancelCampaign, 'Cancel: queued messages are not sent'],
  ] as const)
    app.post(
      `/campaigns/:id/${action}`,
      {
        config: { permission: 'campaigns:send' },
        schema: { tags, summary, params: idParams, response: { 200: campaignView, ...errors } },
      },
      async (req) => fn(ctx, principalOf(req).workspaceId, req.params.id),
    );
  app.get(
    '/campaigns/:id/report',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Targeted, held back by rule, sent, failed, clicked, opted out; per variant',
        params: idParams,
        response: { 200: reportView, 404: errorBody },
      },
    },
    async (req) => campaignReport(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.get(
    '/campaigns/:id/attribution',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Orders of recipients within N days against the hold-out control: lift with 95 % intervals, ROI',
        params: idParams,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(90).optional() }),
        response: { 200: attributionView, ...errors },
      },
    },
    async (req) => campaignAttribution(ctx, principalOf(req).workspaceId, req.params.id, req.query.days),
  );
  app.get(
    '/campaigns/:id/handoff.csv',
    {
      config: { permission: 'export' },
      schema: {
        tags,
        summary: 'Platform hand-off file: buyer nick and order id per store, for the marketplace tool',
        params: idParams,
      },
    },
    async (req, reply) =>
      sendCsv(
        reply,
        `campaign-${req.params.id}-handoff.csv`,
        await campaignHandoff(ctx, principalOf(req).workspaceId, req.params.id),
      ),
  );
};
