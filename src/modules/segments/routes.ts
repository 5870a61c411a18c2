import { shownText } from '../../core/validation.js';
import { PassThrough, Readable } from 'node:stream';
import { z } from 'zod';
import { JOB } from '../../jobs/kinds.js';
import { queuedJob, runAsJob, sendOutcome } from '../../jobs/wait.js';
import { FIELDS, OPERATORS } from '../../core/segments/fields.js';
import { rfmSettings } from '../../core/segments/rfm.js';
import { idParams, noContent, principalOf, type ModuleRoutes } from '../http.js';
import { requestLanguage } from '../../core/reasons.js';
import { ruleOptions } from './options.js';
import { getRfmSettings, rfmAsOf, rfmMatrix, rfmSummary, setRfmSettings } from './rfm.js';
import {
  countRule,
  countSegment,
  listSegmentsWithLastCounts,
  deleteSegment,
  getSegment,
  ruleCsv,
  attachment,
  exportFileName,
  ruleMembers,
  ruleXlsx,
  saveSegment,
  snapshotPage,
  tagIdOf,
} from './service.js';

const fieldsOutput = z.object({
  fields: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['number', 'money', 'days', 'date', 'text', 'enum', 'boolean', 'set', 'month', 'orders']),
      values: z.array(z.string()).optional(),
      operators: z.array(z.string()),
    }),
  ),
});
const ruleBody = z.object({ rule: z.unknown().describe('segment rule JSON (see README: Segments)') });
const memberOutput = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  province: z.string().nullable(),
  city: z.string().nullable(),
  paidOrders: z.number(),
  totalSpentFen: z.number(),
  lastPaidAt: z.string().nullable(),
  rfmClass: z.string().nullable(),
  lifecycle: z.string().nullable(),
});
const segmentOutput = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  rule: z.unknown(),
  system: z.boolean(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
/** The list's sizes: the last count taken (GET /segments/{id}) and when; nulls for a segment not counted yet. */
const lastCountOutput = {
  count: z.number().nullable().describe('the last count taken, not a live one (null: not counted yet)'),
  countedAt: z.string().nullable().describe('when that count was taken'),
};
const segmentInput = z.object({
  name: z.string(),
  description: z.string().max(500).nullable().optional(),
  rule: z.unknown(),
});
const pageQuery = z.object({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

const exportQuery = z.object({
  lang: z
    .enum(['zh-CN', 'en'])
    .optional()
    .describe('headers and values in this language (else Accept-Language, zh-CN)'),
});

export const segmentRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['segments'];
  app.post(
    '/segments/evaluate',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Count a rule and preview its first customers',
        body: ruleBody.extend({ limit: z.number().int().min(0).max(200).default(20) }),
        response: { 200: z.object({ count: z.number(), preview: z.array(memberOutput) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      // Both reads are queued at once: one after the other, a request's page waited behind every other request's
      // count on the read threads (100 clients evaluating at 1M customers: none answered within 5 s).
      const [count, preview] = await Promise.all([
        countRule(ctx, p.workspaceId, req.body.rule),
        req.body.limit > 0
          ? ruleMembers(ctx, p.workspaceId, req.body.rule, { limit: req.body.limit, role: p.role }).then((m) => m.items)
          : [],
      ]);
      return { count, preview };
    },
  );
  app.get(
    '/segments/options',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary:
          "Values a rule builder offers: provinces and cities by full name, the shop's categories (every level), " +
          'activities and sources',
        response: {
          200: z.object({
            provinces: z.array(z.string()),
            cities: z.array(z.string()),
            categories: z.array(z.string()),
            activities: z.array(z.string()),
            sources: z.array(z.string()),
          }),
        },
      },
    },
    async (req) => ruleOptions(ctx, principalOf(req).workspaceId),
  );
  app.get(
    '/segments/fields',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'The fields a rule can test, their types, allowed values and operators (for rule builders)',
        response: { 200: fieldsOutput },
      },
    },
    async () => ({
      fields: Object.entries(FIELDS).map(([name, def]) => ({
        name,
        type: def.type,
        values: 'values' in def ? [...def.values] : undefined,
        operators: [...OPERATORS[def.type]],
      })),
    }),
  );
  app.get(
    '/segments',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'System and saved segments',
        response: { 200: z.object({ items: z.array(segmentOutput.extend(lastCountOutput)) }) },
      },
    },
    async (req) => ({
      items: await listSegmentsWithLastCounts(ctx, principalOf(req).workspaceId),
    }),
  );
  app.post(
    '/segments',
    {
      config: { permission: 'segments:write' },
      schema: { tags, summary: 'Save a segment', body: segmentInput, response: { 201: segmentOutput } },
    },
    async (req, reply) => {
      reply.code(201);
      return saveSegment(ctx, principalOf(req).workspaceId, {
        name: req.body.name,
        description: req.body.description,
        rule: req.body.rule,
      });
    },
  );
  app.get(
    '/segments/:id',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'A segment with its live count',
        params: idParams,
        response: { 200: segmentOutput.extend({ count: z.number(), countedAt: z.string() }) },
      },
    },
    async (req) => countSegment(ctx, principalOf(req).workspaceId, req.params.id),
  );
  app.put(
    '/segments/:id',
    {
      config: { permission: 'segments:write' },
      schema: {
        tags,
        summary: 'Change a saved segment',
        params: idParams,
        body: segmentInput,
        response: { 200: segmentOutput },
      },
    },
    async (req) =>
      saveSegment(
        ctx,
        principalOf(req).workspaceId,
        { name: req.body.name, description: req.body.description, rule: req.body.rule },
        req.params.id,
      ),
  );
  app.delete(
    '/segments/:id',
    {
      config: { permission: 'segments:write' },
      schema: { tags, summary: 'Delete a saved segment', params: idParams, response: { 204: noContent } },
    },
    async (req, reply) => {
      await deleteSegment(ctx, principalOf(req).workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/segments/:id/customers',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'Customers of a segment (keyset pages)',
        params: idParams,
        querystring: pageQuery,
        response: { 200: z.object({ items: z.array(memberOutput), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const s = await getSegment(ctx, p.workspaceId, req.params.id);
      return ruleMembers(ctx, p.workspaceId, s.rule, {
        limit: req.query.limit,
        cursor: req.query.cursor,
        role: p.role,
      });
    },
  );
  app.get(
    '/segments/:id/export.csv',
    {
      config: { permission: 'export' },
      schema: {
        tags,
        summary: "All customers of a segment as CSV (UTF-8 with BOM), named after the segment and the shop's date",
        params: idParams,
        querystring: exportQuery,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const s = await getSegment(ctx, p.workspaceId, req.params.id);
      await countRule(ctx, p.workspaceId, s.rule);
      const lang = requestLanguage(req.query.lang, req.headers['accept-language']);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', attachment(await exportFileName(ctx, p.workspaceId, s.name, 'csv')))
        .send(Readable.from(ruleCsv(ctx, p.workspaceId, s.rule, p.role, lang)));
    },
  );
  app.get(
    '/segments/:id/export.xlsx',
    {
      config: { permission: 'export' },
      schema: {
        tags,
        summary: "All customers of a segment as an Excel workbook, named after the segment and the shop's date",
        params: idParams,
        querystring: exportQuery,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const s = await getSegment(ctx, p.workspaceId, req.params.id);
      await countRule(ctx, p.workspaceId, s.rule);
      const lang = requestLanguage(req.query.lang, req.headers['accept-language']);
      const file = await exportFileName(ctx, p.workspaceId, s.name, 'xlsx');
      const out = new PassThrough();
      void ruleXlsx(ctx, p.workspaceId, s.rule, p.role, out, s.name, lang); // ends or destroys out
      return reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', attachment(file))
        .send(out);
    },
  );
  app.post(
    '/segments/:id/snapshot',
    {
      config: { permission: 'segments:write' },
      schema: {
        tags,
        summary: 'Freeze the current members (what a campaign is sent to)',
        params: idParams,
        body: z.object({ purpose: z.string().max(200).nullable().default(null) }),
        response: {
          201: z.object({
            id: z.string(),
            segmentId: z.string(),
            segmentName: z.string(),
            customers: z.number(),
            purpose: z.string().nullable(),
            createdAt: z.string(),
          }),
          202: queuedJob,
        },
      },
    },
    async (req, reply) => {
      const ws = principalOf(req).workspaceId;
      await getSegment(ctx, ws, req.params.id); // 404 here, not a failed job
      const input = { segmentId: req.params.id, purpose: req.body.purpose };
      return sendOutcome(reply, await runAsJob(ctx, ws, JOB.segmentSnapshot, input), 201);
    },
  );
  app.get(
    '/segment-snapshots/:id',
    {
      config: { permission: 'customers:read' },
      schema: {
        tags,
        summary: 'The customer ids frozen in a snapshot, in id order, 10,000 a page (nextAfter continues)',
        params: idParams,
        // Pages: all 80,000 ids of a campaign's audience in one answer held the server 60–200 ms.
        querystring: z.object({
          after: z.string().min(1).max(64).describe('a customer id: nextAfter of the page before').optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
        }),
        response: { 200: z.object({ customerIds: z.array(z.string()), nextAfter: z.string().nullable() }) },
      },
    },
    async (req) =>
      snapshotPage(ctx, principalOf(req).workspaceId, req.params.id, req.query.after ?? null, req.query.limit),
  );
  app.post(
    '/segments/:id/tag',
    {
      config: { permission: 'segments:write' },
      schema: {
        tags,
        summary: 'Add a tag to every customer of a segment',
        params: idParams,
        body: z.object({ tag: shownText(40) }),
        response: { 200: z.object({ tagged: z.number() }), 202: queuedJob },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await getSegment(ctx, p.workspaceId, req.params.id); // 404 here, not a failed job
      const input = { segmentId: req.params.id, tag: req.body.tag, by: p.userId };
      return sendOutcome(reply, await runAsJob(ctx, p.workspaceId, JOB.segmentTag, input));
    },
  );

  app.post(
    '/segments/:id/untag',
    {
      config: { permission: 'segments:write' },
      schema: {
        tags,
        summary: 'Remove a tag from every customer of a segment',
        params: idParams,
        body: z.object({ tag: shownText(40) }),
        response: { 200: z.object({ untagged: z.number() }), 202: queuedJob },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await getSegment(ctx, p.workspaceId, req.params.id);
      await tagIdOf(ctx, p.workspaceId, req.body.tag);
      const input = { segmentId: req.params.id, tag: req.body.tag, untag: true, by: p.userId };
      return sendOutcome(reply, await runAsJob(ctx, p.workspaceId, JOB.segmentTag, input));
    },
  );

  const rfmTags = ['rfm'];
  const cell = z.object({ key: z.string().nullable(), customers: z.number(), spentFen: z.number() });
  app.get(
    '/rfm/summary',
    {
      config: { permission: 'analytics:read' },
      schema: {
        tags: rfmTags,
        summary: 'Customers and spend per RFM class, value tier and lifecycle stage',
        response: { 200: z.object({ rfmClass: z.array(cell), valueTier: z.array(cell), lifecycle: z.array(cell) }) },
      },
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const shape = (rows: { key: unknown; customers: number; spent_fen: number | null }[]) =>
        rows.map((r) => ({
          key: r.key === null ? null : String(r.key),
          customers: Number(r.customers),
          spentFen: Number(r.spent_fen ?? 0),
        }));
      return {
        rfmClass: shape(await rfmSummary(ctx, ws, 'rfm_class')),
        valueTier: shape(await rfmSummary(ctx, ws, 'value_tier')),
        lifecycle: shape(await rfmSummary(ctx, ws, 'lifecycle')),
      };
    },
  );
  app.get(
    '/rfm/matrix',
    {
      config: { permission: 'analytics:read' },
      schema: {
        tags: rfmTags,
        summary: 'Customers and spend per R × F score cell (1–5)',
        response: {
          200: z.object({
            cells: z.array(z.object({ r: z.number(), f: z.number(), customers: z.number(), spentFen: z.number() })),
          }),
        },
      },
    },
    async (req) => ({
      cells: (await rfmMatrix(ctx, principalOf(req).workspaceId)).map((c) => ({
        r: c.r_score,
        f: c.f_score,
        customers: Number(c.customers),
        spentFen: Number(c.spent_fen ?? 0),
      })),
    }),
  );
  app.post(
    '/rfm/recompute',
    {
      config: { permission: 'segments:write' },
      schema: {
        tags: rfmTags,
        summary:
          'Recompute RFM and lifecycle now; with asOf (a date like ' +
          '2018-06-30, or an ISO time) score the history as of then',
        body: z
          .object({
            asOf: z
              .string()
              .optional()
              .describe('score as of the end of this local day: only purchases paid by then, recency counted from it'),
          })
          .strict()
          .nullish(),
        response: { 200: z.object({ customers: z.number(), asOf: z.string() }), 202: queuedJob },
      },
    },
    async (req, reply) => {
      const ws = principalOf(req).workspaceId;
      const asOf = req.body?.asOf ? await rfmAsOf(ctx, ws, req.body.asOf) : undefined;
      return sendOutcome(reply, await runAsJob(ctx, ws, JOB.rfmRecompute, { asOf }));
    },
  );
  app.get(
    '/rfm/settings',
    {
      config: { permission: 'analytics:read' },
      schema: { tags: rfmTags, summary: 'Lifecycle and value-tier thresholds', response: { 200: rfmSettings } },
    },
    async (req) => getRfmSettings(ctx, principalOf(req).workspaceId),
  );
  app.put(
    '/rfm/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags: rfmTags,
        summary: 'Change the thresholds (recompute to apply)',
        body: rfmSettings,
        response: { 200: rfmSettings },
      },
    },
    async (req) => setRfmSettings(ctx, principalOf(req).workspaceId, req.body),
  );
};
