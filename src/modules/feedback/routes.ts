import { z } from 'zod';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { customerReviews, recordReview, reviewInput } from './service.js';

export const feedbackRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['feedback'];
  app.post(
    '/customers/:id/reviews',
    {
      schema: {
        tags,
        summary:
          'Record a review (好评/中评/差评, with or without photos): a bad one marks a bad reviewer; a photo one adds growth value and, within the rule days of delivery, points',
        params: idParams,
        body: reviewInput,
        response: {
          200: z.object({
            id: z.string(),
            replayed: z.boolean(),
            points: z.number(),
            pointsRefused: z.string().nullable(),
            growth: z.number(),
            markedBadReviewer: z.boolean(),
          }),
        },
      },
    },
    async (req) => recordReview(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );
  app.get(
    '/customers/:id/reviews',
    { schema: { tags, summary: "A customer's reviews, newest first", params: idParams } },
    async (req) => ({
      items: await customerReviews(ctx, principalOf(req).workspaceId, req.params.id),
    }),
  );
};
