import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { reviewOutcomeOutput, reviewsOutput } from './schema.js';
import { customerReviews, recordReview, reviewInput } from './service.js';

const tags = ['feedback'];

const recordSchema = {
  tags,
  summary:
    'Record a review (好评/中评/差评, with or without photos): a bad one marks a bad reviewer; ' +
    'a photo one adds growth value and, within the rule days of delivery, points',
  params: idParams,
  body: reviewInput,
  response: { 200: reviewOutcomeOutput },
};

const listSchema = {
  tags,
  summary: "A customer's reviews, newest first",
  params: idParams,
  response: { 200: reviewsOutput },
};

export const feedbackRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.post('/customers/:id/reviews', { config: { permission: 'customers:write' }, schema: recordSchema }, async (req) =>
    recordReview(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );

  app.get('/customers/:id/reviews', { config: { permission: 'customers:read' }, schema: listSchema }, async (req) => ({
    items: await customerReviews(ctx, principalOf(req).workspaceId, req.params.id),
  }));
};
