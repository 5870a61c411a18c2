import { z } from 'zod';
import { principalOf, type ModuleRoutes } from '../modules/http.js';
import { listJobs } from './queue.js';

const listSchema = {
  tags: ['jobs'],
  summary: 'Recent jobs (status=failed shows failures with their error)',
  querystring: z.object({
    status: z.enum(['queued', 'running', 'done', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  }),
  response: {
    200: z.object({
      items: z.array(
        z.object({
          id: z.string(),
          kind: z.string(),
          status: z.string(),
          attempts: z.number(),
          maxAttempts: z.number(),
          runAt: z.string(),
          lastError: z.string().nullable(),
          finishedAt: z.string().nullable(),
        }),
      ),
    }),
  },
};

/** Jobs are visible to the shop: what ran, what failed and why. */
export const jobRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get('/jobs', { config: { permission: 'analytics:read' }, schema: listSchema }, async (req) => ({
    items: await listJobs(ctx.db.kysely, principalOf(req).workspaceId, req.query),
  }));
};
