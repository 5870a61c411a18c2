import { z } from 'zod';
import { principalOf, type ModuleRoutes } from '../modules/http.js';

/** Jobs are visible to the shop: what ran, what failed and why. */
export const jobRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get(
    '/jobs',
    {
      schema: {
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
      },
    },
    async (req) => {
      let q = ctx.db.kysely.selectFrom('jobs').selectAll().where('workspace_id', '=', principalOf(req).workspaceId);
      if (req.query.status) q = q.where('status', '=', req.query.status);
      const rows = await q.orderBy('id', 'desc').limit(req.query.limit).execute();
      return {
        items: rows.map((j) => ({
          id: j.id,
          kind: j.kind,
          status: j.status,
          attempts: j.attempts,
          maxAttempts: j.max_attempts,
          runAt: j.run_at,
          lastError: j.last_error,
          finishedAt: j.finished_at,
        })),
      };
    },
  );
};
