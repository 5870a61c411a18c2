import { shownForRole } from '../customers/shown-names.js';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import { getMessagingSettings } from '../messaging/service.js';
import { chatFeedbackInput, feedbackQuery, listFeedback, recordChatFeedback, topComplaints } from './records.js';
import {
  complaintsOutput,
  feedbackView,
  invitationOutput,
  reviewOutcomeOutput,
  reviewsOutput,
  surveyListOutput,
  surveyResultsOutput,
  surveyView,
} from './schema.js';
import { customerReviews, recordReview, reviewInput } from './service.js';
import { surveyAlreadyAnswered, surveyForm, surveyThanks, surveyUnknown } from './survey-page.js';
import {
  createSurvey,
  getSurvey,
  invitationInput,
  inviteCustomer,
  listSurveys,
  openSurvey,
  submitSurvey,
  surveyInput,
  surveyResults,
  updateSurvey,
} from './surveys.js';

const tags = ['feedback'];
const read = { permission: 'tasks:read' } as const;
const write = { permission: 'tasks:write' } as const;

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

  app.get(
    '/feedback',
    {
      config: read,
      schema: {
        tags,
        summary: 'Feedback records (reviews, chats, surveys) of the last days, newest first',
        querystring: feedbackQuery,
        response: { 200: z.object({ items: z.array(feedbackView) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const items = await listFeedback(ctx, p.workspaceId, req.query);
      return {
        items: await shownForRole(ctx, p.workspaceId, p.role, items, (f, mask) => ({
          body: f.body === null ? null : mask(f.body),
        })),
      };
    },
  );

  app.post(
    '/feedback',
    {
      config: write,
      schema: {
        tags,
        summary: 'Record what a customer said in a chat (category guessed from the text unless given)',
        body: chatFeedbackInput,
        response: { 200: feedbackView },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return recordChatFeedback(ctx, p.workspaceId, req.body, p.userId);
    },
  );

  app.get(
    '/feedback/complaints',
    {
      config: read,
      schema: {
        tags,
        summary: 'Top complaint categories: negative feedback of the last days per category, most first',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) }).strict(),
        response: { 200: complaintsOutput },
      },
    },
    async (req) => topComplaints(ctx, principalOf(req).workspaceId, req.query.days),
  );

  app.get(
    '/surveys',
    {
      config: read,
      schema: {
        tags,
        summary: 'Satisfaction surveys with invitations and responses',
        response: { 200: surveyListOutput },
      },
    },
    async (req) => ({ items: await listSurveys(ctx, principalOf(req).workspaceId) }),
  );

  app.post(
    '/surveys',
    {
      config: write,
      schema: {
        tags,
        summary: 'Define a survey: up to 10 questions (score 1–5, nps 0–10, choice, text)',
        body: surveyInput,
        response: { 200: surveyView },
      },
    },
    async (req) => createSurvey(ctx, principalOf(req).workspaceId, req.body),
  );

  app.get(
    '/surveys/:id',
    { config: read, schema: { tags, summary: 'One survey', params: idParams, response: { 200: surveyView } } },
    async (req) => getSurvey(ctx, principalOf(req).workspaceId, req.params.id),
  );

  app.put(
    '/surveys/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Change a survey (its questions only until the first answer)',
        params: idParams,
        body: surveyInput,
        response: { 200: surveyView },
      },
    },
    async (req) => updateSurvey(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );

  app.get(
    '/surveys/:id/results',
    {
      config: read,
      schema: {
        tags,
        summary: 'Results: invited, opened, answered; per question the mean, NPS and distribution',
        params: idParams,
        response: { 200: surveyResultsOutput },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const results = await surveyResults(ctx, p.workspaceId, req.params.id);
      const recent = await shownForRole(ctx, p.workspaceId, p.role, results.recent, (r, mask) => ({
        answers: r.answers.map((x) => (x.value === null ? x : { ...x, value: mask(x.value) })),
      }));
      return { ...results, recent };
    },
  );

  app.post(
    '/surveys/:id/invitations',
    {
      config: write,
      schema: {
        tags,
        summary: "A customer's survey link (asking again gives the same link; one answer per link)",
        params: idParams,
        body: invitationInput,
        response: { 200: invitationOutput },
      },
    },
    async (req) => {
      const ws = principalOf(req).workspaceId;
      const inv = await inviteCustomer(ctx, ws, req.params.id, req.body);
      const { publicUrl } = await getMessagingSettings(ctx, ws);
      return { ...inv, url: `${publicUrl.replace(/\/$/, '')}/s/${inv.code}` };
    },
  );
};

const html = 'text/html; charset=utf-8';

/** The public survey page (/s/:code): no login; the code in the link is the only key. */
export function surveyPublicRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const hidden = { hide: true };
    app.get<{ Params: { code: string } }>(
      '/s/:code',
      { config: { permission: 'public' }, schema: hidden },
      async (req, reply) => {
        const v = await openSurvey(ctx, req.params.code);
        reply.header('cache-control', 'no-store').type(html);
        if (v.state === 'unknown') return reply.code(404).send(surveyUnknown());
        return reply.send(v.state === 'answered' ? surveyAlreadyAnswered(v.survey) : surveyForm(v.survey));
      },
    );
    app.register(async (scoped) => {
      scoped.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) =>
        done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
      scoped.post<{ Params: { code: string }; Body: Record<string, unknown> | undefined }>(
        '/s/:code',
        { config: { permission: 'public' }, schema: hidden, bodyLimit: 64 * 1024 },
        async (req, reply) => {
          // Form fields are text; anything else (a JSON body with numbers) is read as its text or left out.
          const form: Record<string, string> = {};
          if (req.body && typeof req.body === 'object')
            for (const [k, v] of Object.entries(req.body))
              if (typeof v === 'string' || typeof v === 'number') form[k] = String(v);
          const r = await submitSurvey(ctx, req.params.code, form);
          reply.header('cache-control', 'no-store').type(html);
          if (r.state === 'unknown') return reply.code(404).send(surveyUnknown());
          if (r.state === 'answered') return reply.code(409).send(surveyAlreadyAnswered(r.survey));
          if (r.state === 'invalid') return reply.code(400).send(surveyForm(r.survey, form, r.problems));
          return reply.send(surveyThanks(r.survey));
        },
      );
    });
  };
}
