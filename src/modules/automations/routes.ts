import { shownForRole } from '../customers/shown-names.js';
import { z } from 'zod';
import { errorBody, idParams, principalOf, type ModuleRoutes } from '../http.js';
import { automationView, dryRunView, exportView, holidayView, runView } from './schema.js';
import {
  dryRun,
  definitionJsonSchema,
  dryRunInput,
  exportAutomations,
  holidayCalendar,
  importAutomations,
  importInput,
  listAutomations,
  listRuns,
  listVersions,
  saveAutomation,
  saveInput,
  setEnabled,
} from './service.js';

const errors = { 400: errorBody, 404: errorBody };

export const automationRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['automations'];
  const ws = (req: Parameters<typeof principalOf>[0]) => principalOf(req).workspaceId;
  app.get(
    '/automations',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Automations, with the built-ins not switched on yet as templates',
        response: { 200: z.object({ items: z.array(automationView) }) },
      },
    },
    async (req) => ({ items: await listAutomations(ctx, ws(req)) }),
  );
  app.post(
    '/automations',
    {
      config: { permission: 'automations:write' },
      schema: {
        tags,
        summary:
          'Switch on / edit a built-in by its settings, or create a custom automation (a new version when changed)',
        body: saveInput,
        response: { 200: automationView, ...errors },
      },
    },
    async (req) => saveAutomation(ctx, ws(req), req.body),
  );
  app.put(
    '/automations/:id',
    {
      config: { permission: 'automations:write' },
      schema: {
        tags,
        summary: 'Save a new version of an automation (runs under way keep theirs)',
        params: idParams,
        body: saveInput,
        response: { 200: automationView, ...errors },
      },
    },
    async (req) => saveAutomation(ctx, ws(req), req.body, req.params.id),
  );
  for (const [path, on] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    app.post(
      `/automations/:id/${path}`,
      {
        config: { permission: 'automations:write' },
        schema: {
          tags,
          summary: on ? 'Switch an automation on' : 'Switch an automation off (runs under way go on)',
          params: idParams,
          response: { 200: automationView, ...errors },
        },
      },
      async (req) => setEnabled(ctx, ws(req), req.params.id, on),
    );
  app.get(
    '/automations/:id/versions',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Every version of an automation, newest first',
        params: idParams,
        response: {
          200: z.object({
            items: z.array(
              z.object({ version: z.number(), definition: z.record(z.string(), z.unknown()), createdAt: z.string() }),
            ),
          }),
          404: errorBody,
        },
      },
    },
    async (req) => ({ items: await listVersions(ctx, ws(req), req.params.id) }),
  );
  app.get(
    '/automations/:id/runs',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'The recent runs of an automation with their steps and reasons',
        params: idParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(50),
          run: z.string().max(100).optional().describe('this run first, however old (a service task links to it)'),
        }),
        response: { 200: z.object({ items: z.array(runView) }), 404: errorBody },
      },
    },
    async (req) => {
      const runs = await listRuns(ctx, ws(req), req.params.id, req.query.limit, req.query.run);
      return { items: await shownForRole(ctx, ws(req), principalOf(req).role, runs) };
    },
  );
  app.post(
    '/automations/dry-run',
    {
      // Seconds of reading at a million customers: for those who build automations (a campaign's needs its write).
      config: { permission: 'automations:write' },
      schema: {
        tags,
        summary: 'Had this been on for the last 30 days: customers, messages and cost (nothing is sent)',
        body: dryRunInput,
        response: { 200: dryRunView, ...errors },
      },
    },
    async (req) => dryRun(ctx, ws(req), req.body),
  );
  app.get(
    '/automations/export',
    {
      config: { permission: 'campaigns:read' },
      schema: { tags, summary: 'Every automation as one JSON document', response: { 200: exportView } },
    },
    async (req) => exportAutomations(ctx, ws(req)),
  );
  app.post(
    '/automations/import',
    {
      config: { permission: 'automations:write' },
      schema: {
        tags,
        summary: 'Import a JSON document of automations (checked whole first; imported ones start off)',
        body: importInput,
        response: { 200: z.object({ imported: z.number() }), ...errors },
      },
    },
    async (req) => importAutomations(ctx, ws(req), req.body),
  );
  app.get(
    '/automations/schema',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary:
          "The JSON Schema of a custom automation's definition: " +
          "the console's step editor draws its triggers and step kinds from it",
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async () => definitionJsonSchema(),
  );
  app.get(
    '/automations/holidays',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary:
          "The next occurrences of each festival from today in the shop's time zone (lunar ones from the lunar " +
          "calendar), and the shop's anniversary",
        querystring: z.object({
          years: z.coerce.number().int().min(1).max(10).default(5),
          anniversary: z
            .string()
            .regex(/^\d{2}-\d{2}$/)
            .optional(),
        }),
        response: { 200: holidayView },
      },
    },
    async (req) => ({ items: await holidayCalendar(ctx, ws(req), req.query.years, req.query.anniversary) }),
  );
};
