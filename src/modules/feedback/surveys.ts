import { reason } from '../../core/reasons.js';
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { categorize, sentimentOfScore, CATEGORY_LABELS, type FeedbackCategory } from '../../core/feedback.js';
import { newId } from '../../core/ids.js';
import {
  MAX_QUESTIONS,
  meanScore,
  parseAnswers,
  QUESTION_KINDS,
  questionProblems,
  summarize,
  type Answer,
  type Question,
} from '../../core/surveys.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { Database, SurveysTable } from '../../db/types.js';
import type { AppContext } from '../context.js';
import { addFeedbackIn } from './records.js';

/**
 * Satisfaction surveys: a definition, one link code per recipient (made by hand or by a message
 * using #问卷链接#), a public page answering it once, and the results per question.
 */
export const questionInput = z
  .object({
    id: z.string().min(1).max(30),
    kind: z.enum(QUESTION_KINDS),
    label: z.string().trim().min(1).max(200),
    options: z.array(z.string().trim().min(1).max(40)).max(10).optional(),
    required: z.boolean().default(true),
  })
  .strict();

export const surveyInput = z
  .object({
    name: z.string().trim().min(1, 'give the survey a name').max(80),
    title: z.string().trim().min(1, 'give the page a title').max(100),
    intro: z.string().trim().max(500).nullish(),
    thanks: z.string().trim().max(300).nullish(),
    questions: z.array(questionInput).min(1).max(MAX_QUESTIONS),
  })
  .strict();

export const invitationInput = z
  .object({
    customerId: z.string().min(1, 'name the customer (customerId)').max(100),
    orderId: z.string().min(1).max(100).nullish(),
  })
  .strict();

export interface SurveyDefinition {
  id: string;
  name: string;
  title: string;
  intro: string | null;
  thanks: string | null;
  questions: Question[];
  createdAt: string;
  updatedAt: string;
}

function present(r: Selectable<SurveysTable>): SurveyDefinition {
  return {
    id: r.id,
    name: r.name,
    title: r.title,
    intro: r.intro,
    thanks: r.thanks,
    questions: readJson<Question[]>(r.questions),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function checkQuestions(questions: Question[]) {
  const p = questionProblems(questions);
  if (p.length)
    throw new Invalid(`The survey is not valid: ${p.map((x) => x.message).join('; ')}`, p[0]!, {
      problems: p.map((x) => x.message),
      issues: p,
    });
}

async function surveyRow(db: Kysely<Database>, ws: string, id: string) {
  const r = await db
    .selectFrom('surveys')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`survey ${id} not found`, reason('survey.notFound', { id }));
  return r;
}

async function nameTaken(db: Kysely<Database>, ws: string, name: string, except: string | null) {
  const r = await db
    .selectFrom('surveys')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('name', '=', name)
    .executeTakeFirst();
  if (r && r.id !== except)
    throw new Conflict(`a survey named "${name}" already exists`, reason('survey.nameTaken', { name }));
}

export async function createSurvey(ctx: AppContext, ws: string, input: unknown): Promise<SurveyDefinition> {
  const v = parseInput(surveyInput, input, 'The survey');
  checkQuestions(v.questions);
  const k = ctx.db.kysely;
  await nameTaken(k, ws, v.name, null);
  const at = ctx.now().toISOString();
  const id = newId();
  await k
    .insertInto('surveys')
    .values({
      workspace_id: ws,
      id,
      name: v.name,
      title: v.title,
      intro: v.intro ?? null,
      thanks: v.thanks ?? null,
      questions: writeJson(v.questions),
      created_at: at,
      updated_at: at,
      archived_at: null,
    })
    .execute();
  return getSurvey(ctx, ws, id);
}

/** Texts can always change; the questions only until the first answer (the results would mix two forms). */
export async function updateSurvey(ctx: AppContext, ws: string, id: string, input: unknown): Promise<SurveyDefinition> {
  const v = parseInput(surveyInput, input, 'The survey');
  checkQuestions(v.questions);
  const k = ctx.db.kysely;
  const current = present(await surveyRow(k, ws, id));
  await nameTaken(k, ws, v.name, id);
  if (JSON.stringify(current.questions) !== JSON.stringify(v.questions)) {
    const answered = await k
      .selectFrom('survey_responses')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('survey_id', '=', id)
      .executeTakeFirst();
    if (answered)
      throw new Conflict(
        `survey ${id} has answers: its questions can no longer change (create a new survey for new questions)`,
        reason('survey.hasAnswers', { id }),
      );
  }
  await k
    .updateTable('surveys')
    .set({
      name: v.name,
      title: v.title,
      intro: v.intro ?? null,
      thanks: v.thanks ?? null,
      questions: writeJson(v.questions),
      updated_at: ctx.now().toISOString(),
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return getSurvey(ctx, ws, id);
}

export async function getSurvey(ctx: AppContext, ws: string, id: string): Promise<SurveyDefinition> {
  return present(await surveyRow(ctx.db.kysely, ws, id));
}

export async function listSurveys(ctx: AppContext, ws: string) {
  const k = ctx.db.kysely;
  const surveys = await k
    .selectFrom('surveys')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('archived_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
  const invited = await k
    .selectFrom('survey_invitations')
    .select((eb) => ['survey_id', eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .groupBy('survey_id')
    .execute();
  const answered = await k
    .selectFrom('survey_responses')
    .select((eb) => ['survey_id', eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .groupBy('survey_id')
    .execute();
  return surveys.map((s) => ({
    ...present(s),
    invited: Number(invited.find((i) => i.survey_id === s.id)?.n ?? 0),
    responses: Number(answered.find((i) => i.survey_id === s.id)?.n ?? 0),
  }));
}

/** A link code carries its workspace, so the public page reads one tenant's row by primary key. */
export function newSurveyCode(ws: string): string {
  return `${ws}.${randomBytes(9).toString('base64url')}`;
}

export interface NewInvitation {
  code: string;
  surveyId: string;
  customerId: string;
  orderId: string | null;
  /** What invited: `${sourceType}:${sourceId}:${step}` of a message, '' for a link made by hand. */
  ref: string;
}

/**
 * Records invitations in the caller's transaction (messaging, for #问卷链接#). The same survey,
 * customer and ref keeps its first code.
 */
export async function addInvitationsIn(trx: Kysely<Database>, ws: string, rows: readonly NewInvitation[], at: string) {
  for (let i = 0; i < rows.length; i += 200)
    await trx
      .insertInto('survey_invitations')
      .values(
        rows.slice(i, i + 200).map((r) => ({
          workspace_id: ws,
          id: r.code,
          survey_id: r.surveyId,
          customer_id: r.customerId,
          order_id: r.orderId,
          ref: r.ref,
          created_at: at,
          opened_at: null,
          answered_at: null,
        })),
      )
      .onConflict((oc) => oc.columns(['workspace_id', 'survey_id', 'customer_id', 'ref']).doNothing())
      .execute();
}

/** Whether a survey exists (messaging checks it before sending #问卷链接#). */
export async function surveyExists(ctx: AppContext, ws: string, id: string): Promise<boolean> {
  const r = await ctx.db.kysely
    .selectFrom('surveys')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  return r !== undefined;
}

/** A link for one customer made by hand (to paste in a chat); asking again gives the same link. */
export async function inviteCustomer(ctx: AppContext, ws: string, surveyId: string, input: unknown) {
  const v = parseInput(invitationInput, input, 'The invitation');
  const k = ctx.db.kysely;
  await surveyRow(k, ws, surveyId);
  const c = await k
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', v.customerId)
    .executeTakeFirst();
  if (!c) throw new NotFound(`customer ${v.customerId} not found`, reason('customer.notFound', { id: v.customerId }));
  const at = ctx.now().toISOString();
  await addInvitationsIn(
    k,
    ws,
    [{ code: newSurveyCode(ws), surveyId, customerId: v.customerId, orderId: v.orderId ?? null, ref: '' }],
    at,
  );
  const inv = await k
    .selectFrom('survey_invitations')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('survey_id', '=', surveyId)
    .where('customer_id', '=', v.customerId)
    .where('ref', '=', '')
    .executeTakeFirstOrThrow();
  return { code: inv.id, surveyId, customerId: inv.customer_id, answered: inv.answered_at !== null };
}

function splitCode(code: string): string | null {
  const dot = code.indexOf('.');
  return dot > 0 && code.length <= 100 ? code.slice(0, dot) : null;
}

async function invitationOf(ctx: AppContext, code: string) {
  const ws = splitCode(code);
  if (!ws) return null;
  const inv = await ctx.db.kysely
    .selectFrom('survey_invitations')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', code)
    .executeTakeFirst();
  if (!inv) return null;
  const survey = present(await surveyRow(ctx.db.kysely, ws, inv.survey_id));
  return { ws, inv, survey };
}

export type SurveyVisit =
  | { state: 'unknown' }
  | { state: 'answered'; survey: SurveyDefinition }
  | { state: 'open'; survey: SurveyDefinition };

/** The public page is opened: the survey to show, or why not. */
export async function openSurvey(ctx: AppContext, code: string): Promise<SurveyVisit> {
  const found = await invitationOf(ctx, code);
  if (!found) return { state: 'unknown' };
  if (found.inv.answered_at) return { state: 'answered', survey: found.survey };
  if (!found.inv.opened_at)
    await ctx.db.kysely
      .updateTable('survey_invitations')
      .set({ opened_at: ctx.now().toISOString() })
      .where('workspace_id', '=', found.ws)
      .where('id', '=', code)
      .where('opened_at', 'is', null)
      .execute();
  return { state: 'open', survey: found.survey };
}

export type SurveySubmission =
  | { state: 'unknown' }
  | { state: 'answered'; survey: SurveyDefinition }
  | { state: 'invalid'; survey: SurveyDefinition; problems: Record<string, string> }
  | { state: 'saved'; survey: SurveyDefinition; responseId: string };

const CATEGORY_BY_LABEL = new Map(Object.entries(CATEGORY_LABELS).map(([k, v]) => [v, k as FeedbackCategory]));

/** The complaint category of a response: a choice naming one (商品质量 …), else guessed from the texts. */
function categoryOf(answers: readonly Answer[]): FeedbackCategory {
  for (const a of answers) {
    const c = a.kind === 'choice' && a.value ? CATEGORY_BY_LABEL.get(a.value) : undefined;
    if (c) return c;
  }
  return categorize(
    answers
      .filter((a) => a.kind === 'text')
      .map((a) => a.value)
      .join(' '),
  );
}

/**
 * The answer of one recipient: stored with one row per question and a feedback record, all in one
 * transaction; a second submit of the same link is refused (the unique invitation key decides
 * when two arrive at once).
 */
export async function submitSurvey(
  ctx: AppContext,
  code: string,
  form: Record<string, unknown>,
): Promise<SurveySubmission> {
  const found = await invitationOf(ctx, code);
  if (!found) return { state: 'unknown' };
  const { ws, inv, survey } = found;
  if (inv.answered_at) return { state: 'answered', survey };
  const parsed = parseAnswers(survey.questions, form);
  if (!parsed.ok) return { state: 'invalid', survey, problems: parsed.problems };
  const at = ctx.now().toISOString();
  const id = newId();
  const saved = await ctx.db.kysely.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('survey_responses')
      .values({
        workspace_id: ws,
        id,
        survey_id: survey.id,
        invitation_id: code,
        customer_id: inv.customer_id,
        answers: writeJson(parsed.answers),
        submitted_at: at,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'invitation_id']).doNothing())
      .returning('id')
      .execute();
    if (inserted.length === 0) return false;
    if (parsed.answers.length > 0)
      await trx
        .insertInto('survey_answers')
        .values(
          parsed.answers.map((a) => ({
            workspace_id: ws,
            response_id: id,
            question_id: a.questionId,
            survey_id: survey.id,
            kind: a.kind,
            score: a.score,
            value: a.value,
          })),
        )
        .execute();
    await trx
      .updateTable('survey_invitations')
      .set({ answered_at: at, opened_at: inv.opened_at ?? at })
      .where('workspace_id', '=', ws)
      .where('id', '=', code)
      .execute();
    const mean = meanScore(parsed.answers);
    const texts = parsed.answers.filter((a) => a.kind === 'text' && a.value).map((a) => a.value);
    await addFeedbackIn(
      trx,
      ws,
      {
        customerId: inv.customer_id,
        orderId: inv.order_id,
        source: 'survey',
        sourceId: id,
        category: categoryOf(parsed.answers),
        sentiment: mean === null ? 'neutral' : sentimentOfScore(mean),
        body: texts.length ? texts.join('\n') : null,
        createdBy: null,
        occurredAt: at,
      },
      at,
    );
    return true;
  });
  return saved ? { state: 'saved', survey, responseId: id } : { state: 'answered', survey };
}

/** Results of one survey: invited, opened, answered, and per question the mean, NPS and distribution. */
export async function surveyResults(ctx: AppContext, ws: string, id: string) {
  const k = ctx.db.kysely;
  const survey = present(await surveyRow(k, ws, id));
  const inv = await k
    .selectFrom('survey_invitations')
    .select((eb) => [
      eb.fn.countAll<number>().as('invited'),
      eb.fn.count<number>('opened_at').as('opened'),
      eb.fn.count<number>('answered_at').as('answered'),
    ])
    .where('workspace_id', '=', ws)
    .where('survey_id', '=', id)
    .executeTakeFirstOrThrow();
  const answers = await k
    .selectFrom('survey_answers as a')
    .innerJoin('survey_responses as r', (j) =>
      j.onRef('r.workspace_id', '=', 'a.workspace_id').onRef('r.id', '=', 'a.response_id'),
    )
    .select(['a.question_id', 'a.score', 'a.value'])
    .where('a.workspace_id', '=', ws)
    .where('a.survey_id', '=', id)
    .orderBy('r.submitted_at', 'desc')
    .execute();
  const recent = await k
    .selectFrom('survey_responses as r')
    .leftJoin('customers as c', (j) =>
      j.onRef('c.workspace_id', '=', 'r.workspace_id').onRef('c.id', '=', 'r.customer_id'),
    )
    .select(['r.id', 'r.customer_id', 'c.display_name', 'r.answers', 'r.submitted_at'])
    .where('r.workspace_id', '=', ws)
    .where('r.survey_id', '=', id)
    .orderBy('r.submitted_at', 'desc')
    .limit(20)
    .execute();
  const invited = Number(inv.invited);
  const responses = Number(inv.answered);
  return {
    survey,
    invited,
    opened: Number(inv.opened),
    responses,
    responseRate: invited ? Math.round((responses / invited) * 1000) / 10 : null,
    questions: summarize(
      survey.questions,
      answers.map((a) => ({ questionId: a.question_id, score: a.score, value: a.value })),
    ),
    recent: recent.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      customerName: r.display_name,
      submittedAt: r.submitted_at,
      answers: readJson<Answer[]>(r.answers),
    })),
  };
}

/** A customer's answered surveys (the timeline). */
export async function customerSurveyResponses(ctx: AppContext, ws: string, customerId: string, limit = 100) {
  const rows = await ctx.db.kysely
    .selectFrom('survey_responses as r')
    .innerJoin('surveys as s', (j) =>
      j.onRef('s.workspace_id', '=', 'r.workspace_id').onRef('s.id', '=', 'r.survey_id'),
    )
    .select(['r.id', 'r.answers', 'r.submitted_at', 's.name'])
    .where('r.workspace_id', '=', ws)
    .where('r.customer_id', '=', customerId)
    .orderBy('r.submitted_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const answers = readJson<Answer[]>(r.answers);
    return { id: r.id, survey: r.name, submittedAt: r.submitted_at, mean: meanScore(answers), answers };
  });
}
