import { reason } from '../../core/reasons.js';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { NotFound } from '../../core/errors.js';
import {
  CATEGORY_LABELS,
  categorize,
  FEEDBACK_CATEGORIES,
  FEEDBACK_SOURCES,
  rankComplaints,
  SENTIMENTS,
  type FeedbackCategory,
  type FeedbackSource,
  type Sentiment,
} from '../../core/feedback.js';
import { newId } from '../../core/ids.js';
import { parseInput } from '../../core/validation.js';
import type { Database, FeedbackTable } from '../../db/types.js';
import type { AppContext } from '../context.js';

/**
 * Feedback records (反馈): one per review, survey response or chat remark, with a complaint
 * category and a sentiment. Reviews and survey responses write theirs in their own transaction;
 * agents record what a customer said in a chat by hand.
 */
export const chatFeedbackInput = z
  .object({
    customerId: z.string().min(1, 'name the customer (customerId)').max(100),
    orderId: z.string().min(1).max(100).nullish(),
    body: z.string().trim().min(1, 'write what the customer said (body)').max(2000),
    category: z.enum(FEEDBACK_CATEGORIES).optional().describe('default: guessed from the text'),
    sentiment: z.enum(SENTIMENTS).default('negative'),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const feedbackQuery = z
  .object({
    days: z.coerce.number().int().min(1).max(3650).default(30),
    source: z.enum(FEEDBACK_SOURCES).optional(),
    category: z.enum(FEEDBACK_CATEGORIES).optional(),
    sentiment: z.enum(SENTIMENTS).optional(),
    customerId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export interface NewFeedback {
  customerId: string;
  orderId: string | null;
  source: FeedbackSource;
  sourceId: string | null;
  category: FeedbackCategory;
  sentiment: Sentiment;
  body: string | null;
  createdBy: string | null;
  occurredAt: string;
}

/** Writes a feedback record in the caller's transaction; the same source row writes one record only. */
export async function addFeedbackIn(trx: Kysely<Database>, ws: string, f: NewFeedback, at: string): Promise<string> {
  const id = newId();
  await trx
    .insertInto('feedback')
    .values({
      workspace_id: ws,
      id,
      customer_id: f.customerId,
      order_id: f.orderId,
      source: f.source,
      source_id: f.sourceId,
      category: f.category,
      sentiment: f.sentiment,
      body: f.body,
      created_by: f.createdBy,
      occurred_at: f.occurredAt,
      created_at: at,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'source', 'source_id']).doNothing())
    .execute();
  return id;
}

export async function recordChatFeedback(ctx: AppContext, ws: string, input: unknown, by: string | null) {
  const v = parseInput(chatFeedbackInput, input, 'The feedback');
  const k = ctx.db.kysely;
  const c = await k
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', v.customerId)
    .executeTakeFirst();
  if (!c) throw new NotFound(`customer ${v.customerId} not found`, reason('customer.notFound', { id: v.customerId }));
  const at = ctx.now().toISOString();
  const id = await addFeedbackIn(
    k,
    ws,
    {
      customerId: v.customerId,
      orderId: v.orderId ?? null,
      source: 'chat',
      sourceId: null,
      category: v.category ?? categorize(v.body),
      sentiment: v.sentiment,
      body: v.body,
      createdBy: by,
      occurredAt: v.occurredAt ? new Date(v.occurredAt).toISOString() : at,
    },
    at,
  );
  const row = await feedbackRows(ctx, ws).where('f.id', '=', id).executeTakeFirstOrThrow();
  return presentFeedback(row);
}

function feedbackRows(ctx: AppContext, ws: string) {
  return ctx.db.kysely
    .selectFrom('feedback as f')
    .leftJoin('customers as c', (j) =>
      j.onRef('c.workspace_id', '=', 'f.workspace_id').onRef('c.id', '=', 'f.customer_id'),
    )
    .selectAll('f')
    .select('c.display_name as customer_name')
    .where('f.workspace_id', '=', ws);
}

function presentFeedback(r: Selectable<FeedbackTable> & { customer_name: string | null }) {
  return {
    id: r.id,
    customerId: r.customer_id,
    customerName: r.customer_name,
    orderId: r.order_id,
    source: r.source as FeedbackSource,
    sourceId: r.source_id,
    category: r.category as FeedbackCategory,
    categoryLabel: CATEGORY_LABELS[r.category as FeedbackCategory] ?? r.category,
    sentiment: r.sentiment as Sentiment,
    body: r.body,
    occurredAt: r.occurred_at,
  };
}

const since = (ctx: AppContext, days: number) => new Date(ctx.now().getTime() - days * 86_400_000).toISOString();

export async function listFeedback(ctx: AppContext, ws: string, q: z.input<typeof feedbackQuery>) {
  const v = feedbackQuery.parse(q);
  let sel = feedbackRows(ctx, ws).where('f.occurred_at', '>=', since(ctx, v.days));
  if (v.source) sel = sel.where('f.source', '=', v.source);
  if (v.category) sel = sel.where('f.category', '=', v.category);
  if (v.sentiment) sel = sel.where('f.sentiment', '=', v.sentiment);
  if (v.customerId) sel = sel.where('f.customer_id', '=', v.customerId);
  const rows = await sel.orderBy('f.occurred_at', 'desc').orderBy('f.id', 'desc').limit(v.limit).execute();
  return rows.map(presentFeedback);
}

/**
 * The top complaint categories over the last `days`: negative feedback from every source counted
 * per category, most first, with each category's share and its latest few texts.
 */
export async function topComplaints(ctx: AppContext, ws: string, days = 30) {
  const from = since(ctx, days);
  const k = ctx.db.kysely;
  const rows = await k
    .selectFrom('feedback')
    .select((eb) => ['category', eb.fn.countAll<number>().as('count')])
    .where('workspace_id', '=', ws)
    .where('sentiment', '=', 'negative')
    .where('occurred_at', '>=', from)
    .groupBy('category')
    .execute();
  const bySource = await k
    .selectFrom('feedback')
    .select((eb) => ['source', eb.fn.countAll<number>().as('count')])
    .where('workspace_id', '=', ws)
    .where('sentiment', '=', 'negative')
    .where('occurred_at', '>=', from)
    .groupBy('source')
    .execute();
  const ranked = rankComplaints(rows.map((r) => ({ category: r.category, count: Number(r.count) })));
  const total = ranked.reduce((a, c) => a + c.count, 0);
  const categories = [];
  for (const c of ranked) {
    const examples = await k
      .selectFrom('feedback')
      .select(['body'])
      .where('workspace_id', '=', ws)
      .where('sentiment', '=', 'negative')
      .where('category', '=', c.category)
      .where('occurred_at', '>=', from)
      .where('body', 'is not', null)
      .orderBy('occurred_at', 'desc')
      .limit(3)
      .execute();
    categories.push({
      category: c.category,
      label: CATEGORY_LABELS[c.category],
      count: c.count,
      share: total ? Math.round((c.count / total) * 1000) / 10 : 0,
      examples: examples.map((e) => e.body!).filter(Boolean),
    });
  }
  return {
    days,
    from,
    total,
    bySource: Object.fromEntries(
      FEEDBACK_SOURCES.map((s) => [s, Number(bySource.find((b) => b.source === s)?.count ?? 0)]),
    ),
    categories,
  };
}
