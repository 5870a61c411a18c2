import { z } from 'zod';
import { reasonView } from '../http.js';

export const reviewOutcomeOutput = z.object({
  id: z.string(),
  replayed: z.boolean(),
  points: z.number(),
  pointsRefused: z.string().nullable().describe('why no points, in English (logs, API clients)'),
  pointsRefusedWhy: reasonView.nullable().describe('the same reason as a code the console renders in zh-CN or en'),
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

const sentiment = z.enum(['positive', 'neutral', 'negative']);
const category = z.enum(['product', 'logistics', 'service', 'price', 'other']);

export const feedbackView = z.object({
  id: z.string(),
  customerId: z.string(),
  customerName: z.string().nullable(),
  orderId: z.string().nullable(),
  source: z.enum(['review', 'chat', 'survey']),
  sourceId: z.string().nullable(),
  category,
  categoryLabel: z.string(),
  sentiment,
  body: z.string().nullable(),
  occurredAt: z.string(),
});

export const complaintsOutput = z.object({
  days: z.number(),
  from: z.string(),
  total: z.number().describe('negative feedback in the period'),
  bySource: z.record(z.string(), z.number()),
  categories: z.array(
    z.object({
      category,
      label: z.string(),
      count: z.number(),
      share: z.number().describe('percent of the negative feedback, one decimal'),
      examples: z.array(z.string()),
    }),
  ),
});

const question = z.object({
  id: z.string(),
  kind: z.enum(['score', 'nps', 'choice', 'text']),
  label: z.string(),
  options: z.array(z.string()).optional(),
  required: z.boolean(),
});

export const surveyView = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string(),
  intro: z.string().nullable(),
  thanks: z.string().nullable(),
  questions: z.array(question),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const surveyListOutput = z.object({
  items: z.array(surveyView.extend({ invited: z.number(), responses: z.number() })),
});

export const invitationOutput = z.object({
  code: z.string(),
  url: z.string().describe('the public page to send the customer'),
  surveyId: z.string(),
  customerId: z.string(),
  answered: z.boolean(),
});

const answer = z.object({
  questionId: z.string(),
  kind: z.enum(['score', 'nps', 'choice', 'text']),
  score: z.number().nullable(),
  value: z.string().nullable(),
});

export const surveyResultsOutput = z.object({
  survey: surveyView,
  invited: z.number(),
  opened: z.number(),
  responses: z.number(),
  responseRate: z.number().nullable().describe('percent, one decimal'),
  questions: z.array(
    z.object({
      questionId: z.string(),
      kind: z.enum(['score', 'nps', 'choice', 'text']),
      label: z.string(),
      answered: z.number(),
      average: z.number().nullable(),
      nps: z.number().nullable(),
      distribution: z.record(z.string(), z.number()),
      texts: z.array(z.string()),
    }),
  ),
  recent: z.array(
    z.object({
      id: z.string(),
      customerId: z.string(),
      customerName: z.string().nullable(),
      submittedAt: z.string(),
      answers: z.array(answer),
    }),
  ),
});
