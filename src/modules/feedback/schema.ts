import { z } from 'zod';

export const reviewOutcomeOutput = z.object({
  id: z.string(),
  replayed: z.boolean(),
  points: z.number(),
  pointsRefused: z.string().nullable(),
  growth: z.number(),
  markedBadReviewer: z.boolean(),
});

export const reviewsOutput = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      orderId: z.string().nullable(),
      rating: z.string(),
      hasPhoto: z.boolean(),
      body: z.string().nullable(),
      reviewedAt: z.string(),
    }),
  ),
});
