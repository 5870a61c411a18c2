import { reason } from '../../core/reasons.js';
import type { Transaction } from 'kysely';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import {
  ERASED_TEXT,
  erasedName,
  identityDigest,
  scrubCustomerSnapshot,
  scrubJson,
  scrubRaw,
  scrubText,
} from '../../core/privacy.js';
import type { Database } from '../../db/types.js';
import { readJson, writeJson } from '../../db/json.js';
import { nowIso, type AppContext } from '../context.js';
import { consentStates, recordConsent } from '../customers/consent.js';
import { ensureErasureSalt } from './tombstones.js';
import { refreshBuyerPeople } from '../analytics/snapshots.js';

export interface Requester {
  userId: string | null;
  login: string | null;
}

export interface ErasureSummary {
  identities: number;
  orders: number;
  notes: number;
  messages: number;
  replies: number;
  reviews: number;
  feedback: number;
  tasks: number;
  surveyResponses: number;
  merges: number;
}

/** Order columns that name or reach the person; amounts, dates, statuses and province/city stay for the books. */
export function erasedOrderColumns(name: string, raw: Record<string, string>) {
  return {
    buyer_nick: name,
    receiver_name: null,
    receiver_phone: null,
    address: null,
    district: null,
    buyer_message: null,
    seller_note: null,
    raw: writeJson(scrubRaw(raw)),
  };
}

/** Everything the person could be known by in this workspace: names, nicks, phones, emails, addresses. */
async function knownValues(trx: Transaction<Database>, ws: string, id: string): Promise<string[]> {
  const c = await trx
    .selectFrom('customers')
    .select(['display_name', 'real_name', 'phone', 'email', 'wechat', 'qq'])
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const ids = await trx
    .selectFrom('customer_identities')
    .select('value')
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', id)
    .execute();
  const orders = await trx
    .selectFrom('orders')
    .select(['buyer_nick', 'receiver_name', 'receiver_phone', 'address'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', id)
    .execute();
  const all = [
    c.display_name,
    c.real_name,
    c.phone,
    c.email,
    c.wechat,
    c.qq,
    ...ids.map((i) => i.value),
    ...orders.flatMap((o) => [o.buyer_nick, o.receiver_name, o.receiver_phone, o.address]),
  ];
  return [...new Set(all.filter((v): v is string => typeof v === 'string' && v.trim().length >= 2))];
}

/**
 * Erases a customer's personal data on their request (PIPL), in one transaction: the profile,
 * identities (kept only as salted digests, so re-importing an old export does not bring the person
 * back), every order's receiver fields and personal export columns, notes, messages' addresses and
 * texts, replies, reviews, feedback, tasks, survey answers and merge snapshots. Amounts, dates,
 * statuses and regions stay for the books; the customer is opted out of everything. The request is
 * recorded (who, when, what) in pipl_requests.
 */
export async function eraseCustomer(
  ctx: AppContext,
  ws: string,
  customerId: string,
  input: { confirm: string; reason?: string | null },
  by: Requester,
) {
  const now = nowIso(ctx);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    // Locked on PostgreSQL: the same erasure sent twice at once is done once, the second finds it done (409).
    let read = trx
      .selectFrom('customers')
      .select(['id', 'display_name', 'erased_at'])
      .where('workspace_id', '=', ws)
      .where('id', '=', customerId);
    if (ctx.db.dialect === 'postgres') read = read.forUpdate();
    const customer = await read.executeTakeFirst();
    if (!customer)
      throw new NotFound(`customer ${customerId} not found`, reason('customer.notFound', { id: customerId }));
    if (customer.erased_at !== null)
      throw new Conflict(
        `customer ${customerId}'s personal data was erased already`,
        reason('customer.erased', { id: customerId }),
      );
    const confirm = input.confirm.trim();
    if (confirm !== customer.id && confirm !== customer.display_name)
      throw new Invalid("to erase, confirm with the customer's name or id", reason('privacy.confirm'), {
        field: 'confirm',
      });
    const name = erasedName(customerId);
    const known = await knownValues(trx, ws, customerId);
    const requestId = newId();
    const summary: ErasureSummary = {
      identities: 0,
      orders: 0,
      notes: 0,
      messages: 0,
      replies: 0,
      reviews: 0,
      feedback: 0,
      tasks: 0,
      surveyResponses: 0,
      merges: 0,
    };
    const count = (r: { numUpdatedRows: bigint }) => Number(r.numUpdatedRows);

    // The record of the request comes first: the tombstones refer to it.
    await trx
      .insertInto('pipl_requests')
      .values({
        workspace_id: ws,
        id: requestId,
        customer_id: customerId,
        kind: 'erase',
        requested_by: by.userId,
        requested_by_login: by.login,
        reason: input.reason?.trim().slice(0, 500) || null,
        summary: writeJson(summary),
        created_at: now,
      })
      .execute();

    // Identifiers become salted digests that point at the (now anonymous) customer.
    const salt = await ensureErasureSalt(trx, ws, now);
    const identities = await trx
      .selectFrom('customer_identities')
      .select(['kind', 'scope', 'value'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .execute();
    const digests = [...new Set(identities.map((i) => identityDigest(salt, i.kind, i.scope, i.value)))];
    for (const digest of digests)
      await trx
        .insertInto('erased_identities')
        .values({ workspace_id: ws, digest, customer_id: customerId, request_id: requestId, erased_at: now })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'digest']).doUpdateSet({ customer_id: customerId, erased_at: now }),
        )
        .execute();
    const deleted = await trx
      .deleteFrom('customer_identities')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    summary.identities = Number(deleted.numDeletedRows);

    // The profile: nothing that says who they are; nothing may be sent to them any more.
    const before = (await consentStates(trx, ws, [customerId])).get(customerId)!;
    const optedOut = { marketing_consent: 'denied', opt_out_sms: 1, opt_out_email: 1, opt_out_wechat: 1 };
    await trx
      .updateTable('customers')
      .set({
        display_name: name,
        real_name: null,
        name_pinyin: null,
        phone: null,
        email: null,
        wechat: null,
        qq: null,
        birthday: null,
        gender: null,
        ...optedOut,
        consent_source: 'erasure',
        consent_at: now,
        erased_at: now,
        updated_at: now,
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', customerId)
      .execute();
    // Erased birthday and gender: the kept analytics answers count them as unknown from now (analytics/snapshots.ts).
    await refreshBuyerPeople(trx, ws, [customerId]);
    await recordConsent(
      trx,
      ctx.db.dialect,
      ws,
      [{ customerId, before, after: optedOut }],
      { source: 'erasure', detail: `request ${requestId}`, actorId: by.userId },
      now,
    );

    // Orders keep their amounts, dates and regions; content_hash stays, so re-importing the same
    // export finds them unchanged instead of writing the person back.
    const orders = await trx
      .selectFrom('orders')
      .select(['id', 'raw'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .execute();
    for (const o of orders) {
      await trx
        .updateTable('orders')
        .set({ ...erasedOrderColumns(name, readJson<Record<string, string>>(o.raw) ?? {}), updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', o.id)
        .execute();
    }
    summary.orders = orders.length;

    summary.notes = count(
      await trx
        .updateTable('notes')
        .set({ body: ERASED_TEXT })
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', customerId)
        .executeTakeFirst(),
    );
    summary.reviews = count(
      await trx
        .updateTable('reviews')
        .set({ body: null })
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', customerId)
        .executeTakeFirst(),
    );
    summary.feedback = count(
      await trx
        .updateTable('feedback')
        .set({ body: null })
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', customerId)
        .executeTakeFirst(),
    );
    const tasks = await trx
      .selectFrom('service_tasks')
      .select(['id', 'title'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .execute();
    for (const t of tasks)
      await trx
        .updateTable('service_tasks')
        .set({ title: scrubText(t.title, known), notes: null, outcome: null })
        .where('workspace_id', '=', ws)
        .where('id', '=', t.id)
        .execute();
    summary.tasks = tasks.length;

    // Messages keep what was sent when and what it cost; not to whom or what it said.
    await trx
      .updateTable('messages')
      .set({ status: 'cancelled', reason: 'erased' })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .where('status', '=', 'queued')
      .execute();
    summary.messages = count(
      await trx
        .updateTable('messages')
        .set({ contact: null, contact_key: null, subject: null, body: null })
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', customerId)
        .executeTakeFirst(),
    );
    summary.replies = count(
      await trx
        .updateTable('inbound_replies')
        .set({ sender: ERASED_TEXT, body: ERASED_TEXT })
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', customerId)
        .executeTakeFirst(),
    );

    const responses = await trx
      .selectFrom('survey_responses')
      .select(['id', 'answers'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .execute();
    for (const r of responses) {
      await trx
        .updateTable('survey_responses')
        .set({ answers: writeJson(scrubJson(readJson(r.answers), known)) })
        .where('workspace_id', '=', ws)
        .where('id', '=', r.id)
        .execute();
      await trx
        .updateTable('survey_answers')
        .set({ value: null })
        .where('workspace_id', '=', ws)
        .where('response_id', '=', r.id)
        .where('score', 'is', null)
        .execute();
    }
    summary.surveyResponses = responses.length;

    // A merge keeps the merged-away customer as it was (for undo): that copy is the same person.
    const merges = await trx
      .selectFrom('customer_merges')
      .select(['id', 'source_id', 'source_snapshot'])
      .where('workspace_id', '=', ws)
      .where((eb) => eb.or([eb('target_id', '=', customerId), eb('source_id', '=', customerId)]))
      .execute();
    for (const m of merges)
      await trx
        .updateTable('customer_merges')
        .set({
          source_snapshot: writeJson(
            scrubCustomerSnapshot(readJson<Record<string, unknown>>(m.source_snapshot), m.source_id),
          ),
        })
        .where('workspace_id', '=', ws)
        .where('id', '=', m.id)
        .execute();
    summary.merges = merges.length;

    await trx
      .updateTable('pipl_requests')
      .set({ summary: writeJson(summary) })
      .where('workspace_id', '=', ws)
      .where('id', '=', requestId)
      .execute();
    return { requestId, customerId, erasedAt: now, summary };
  });
}
