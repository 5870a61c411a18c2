import { z } from 'zod';
import { NotFound } from '../core/errors.js';
import { reason } from '../core/reasons.js';
import { idParams, principalOf, type ModuleRoutes } from '../modules/http.js';
import { getJob, listJobs } from './queue.js';

const job = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number(),
  maxAttempts: z.number(),
  runAt: z.string(),
  lastError: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

const listSchema = {
  tags: ['jobs'],
  summary: 'Recent jobs (status=failed shows failures with their error)',
  querystring: z.object({
    status: z.enum(['queued', 'running', 'done', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  }),
  response: { 200: z.object({ items: z.array(job) }) },
};

const getSchema = {
  tags: ['jobs'],
  summary: 'One job, with its result when done (a request answered 202 names the job it queued)',
  params: idParams,
  response: {
    200: job.extend({
      result: z.unknown().describe("what the job reported (the route's 200 answer), null until it is done"),
    }),
  },
};

/** Jobs are visible to the shop: what ran, what failed and why. */
export const jobRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get('/jobs', { config: { permission: 'analytics:read' }, schema: listSchema }, async (req) => ({
    items: await listJobs(ctx.db.kysely, principalOf(req).workspaceId, req.query),
  }));
  app.get('/jobs/:id', { config: { permission: 'analytics:read' }, schema: getSchema }, async (req) => {
    const found = await getJob(ctx.db.kysely, principalOf(req).workspaceId, req.params.id);
    if (!found) throw new NotFound(`job ${req.params.id} not found`, reason('job.notFound', { id: req.params.id }));
    return found;
  });
};
