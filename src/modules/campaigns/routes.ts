import { offLoop } from '../heavy/run.js';
import { reason } from '../../core/reasons.js';
import { rm } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { Invalid } from '../../core/errors.js';
import { saveUpload, uploadParts } from '../uploads.js';
import { createAudienceList, listAudienceLists, readListFile, unmatchedCsv } from './audiences.js';
import { errorBody, idParams, principalOf, sendCsv, type ModuleRoutes } from '../http.js';
import { attachment, exportFileName } from '../segments/service.js';
import { tablesXlsx } from '../tables.js';
import {
  campaignAttribution,
  campaignHandoff,
  campaignHandoffTable,
  campaignReport,
  compareCampaigns,
} from './report.js';
import {
  attributionView,
  audienceListView,
  campaignInput,
  campaignView,
  compareView,
  dryRunView,
  reportView,
  testSendInput,
  testSendView,
} from './schema.js';
import {
  cancelCampaign,
  createCampaign,
  dryRun,
  getCampaign,
  launchCampaign,
  listCampaigns,
  pauseCampaign,
  resumeCampaign,
  testSendCampaign,
  updateCampaign,
} from './service.js';

const errors = { 400: errorBody, 404: errorBody, 409: errorBody };

export const campaignRoutes: ModuleRoutes = async (app, { ctx, uploadDir, uploads }) => {
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
    // The audience's rule, its recipients' facts and every send rule (0.3–0.5 s for 15,847 on the 20,000-customer
    // demo): a heavy read.
    async (req) => offLoop(ctx, 'campaigns.dryRun', dryRun, principalOf(req).workspaceId, req.params.id),
  );
  for (const [action, fn, summary] of [
    ['launch', launchCampaign, 'Launch: the worker freezes the audience, draws control and variants, plans'],
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
  app.get(
    '/campaigns/:id/handoff.xlsx',
    {
      config: { permission: 'export' },
      schema: {
        tags,
        summary: 'The platform hand-off list as an Excel workbook (one sheet named after the campaign)',
        params: idParams,
      },
    },
    async (req, reply) => {
      const ws = principalOf(req).workspaceId;
      const table = await campaignHandoffTable(ctx, ws, req.params.id);
      const file = await exportFileName(ctx, ws, `${table.title}-平台名单`, 'xlsx');
      const out = new PassThrough();
      void tablesXlsx([table], out); // ends or destroys out
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', attachment(file))
        .send(out);
    },
  );
  app.post(
    '/campaigns/:id/test',
    {
      config: { permission: 'campaigns:send' },
      schema: {
        tags,
        summary:
          'Test send to staff: chosen users (their login as phone / email) and an entered phone or email, ' +
          'marked 测试, not counted',
        params: idParams,
        body: testSendInput,
        response: { 200: testSendView, ...errors },
      },
    },
    async (req) => testSendCampaign(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );
  app.get(
    '/campaigns/compare',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary:
          'Campaigns side by side (2–4): targeted, sent, delivered, clicked, conversion, ' +
          'incremental revenue, cost, ROI',
        querystring: z.object({ ids: z.string().min(1) }),
        response: { 200: compareView, 400: errorBody, 404: errorBody },
      },
    },
    async (req) =>
      compareCampaigns(
        ctx,
        principalOf(req).workspaceId,
        req.query.ids.split(',').map((x) => x.trim()),
      ),
  );
  app.get(
    '/campaigns/audiences',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Uploaded audience lists (target one with segmentId list:{id})',
        response: { 200: z.object({ items: z.array(audienceListView) }) },
      },
    },
    async (req) => ({ items: await listAudienceLists(ctx, principalOf(req).workspaceId) }),
  );
  app.post(
    '/campaigns/audiences',
    {
      config: { permission: 'campaigns:write' },
      schema: {
        tags,
        summary: 'Upload a CSV/XLSX list of phones, buyer nicks or customer ids (multipart: file, name)',
        consumes: ['multipart/form-data'],
        response: { 201: audienceListView, 400: errorBody, 413: errorBody },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (!req.isMultipart())
        throw new Invalid(
          'send the list as multipart/form-data with fields file and name',
          reason('upload.listFields'),
        );
      const fields: Record<string, string> = {};
      let saved: { path: string; name: string } | null = null;
      try {
        for await (const part of uploadParts(req)) {
          if (part.type === 'file') {
            if (saved) throw new Invalid('send one file per list', reason('upload.oneList'));
            saved = { path: await saveUpload(req, part, uploadDir, uploads), name: part.filename };
          } else fields[part.fieldname] = String(part.value);
        }
        if (!saved) throw new Invalid('no file: add the list as the "file" field', reason('upload.noList'));
        const lines = await readListFile(saved.path);
        // A longer name was cut to 80 characters without a word.
        if ((fields.name?.trim().length ?? 0) > 80)
          throw new Invalid('name: at most 80 characters', reason('input.tooLong', { field: 'name', max: 80 }), {
            path: 'name',
          });
        const name = fields.name?.trim() || saved.name.replace(/\.[^.]+$/, '');
        reply.code(201);
        return await createAudienceList(ctx, p.workspaceId, { name, fileName: saved.name, lines }, p.userId);
      } finally {
        if (saved) await rm(saved.path, { force: true });
      }
    },
  );
  app.get(
    '/campaigns/audiences/:id/unmatched.csv',
    {
      // An export like the others: the lines are phones, e-mails and nicks, masked for a role that sees no PII.
      config: { permission: 'export' },
      schema: {
        tags,
        summary: 'The lines of an uploaded list that matched no customer, with the reason',
        params: idParams,
      },
    },
    async (req, reply) =>
      sendCsv(
        reply,
        `audience-${req.params.id}-unmatched.csv`,
        await unmatchedCsv(ctx, principalOf(req).workspaceId, req.params.id, principalOf(req).role),
      ),
  );
};
