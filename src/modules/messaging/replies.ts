import { newId } from '../../core/ids.js';
import type { Medium } from '../../core/messaging/decide.js';
import { normalizeCnMobile, normalizeEmail } from '../../core/pii.js';
import { nowIso, type AppContext } from '../context.js';
import { channelRow } from './channels.js';
import { consentStates, recordConsent } from '../customers/consent.js';

/** R, T, TD, N or 退订 (alone, any case, with stray spaces or punctuation): the sender opts out. */
export function isOptOutReply(text: string): boolean {
  const t = text.replace(/[\s.。!！,，、;；"'“”]/g, '').toUpperCase();
  return ['R', 'T', 'TD', 'N', '退订'].includes(t);
}

const OPT_OUT_COLUMN: Record<Medium, 'opt_out_sms' | 'opt_out_email' | 'opt_out_wechat'> = {
  sms: 'opt_out_sms',
  platform: 'opt_out_sms',
  email: 'opt_out_email',
  wechat: 'opt_out_wechat',
};

/** Customers a reply's sender is: by mainland mobile or email, on the customer or any identity. */
async function customersBySender(ctx: AppContext, ws: string, medium: Medium, sender: string): Promise<string[]> {
  const k = ctx.db.kysely;
  const value =
    medium === 'email' ? normalizeEmail(sender) : medium === 'wechat' ? sender.trim() : normalizeCnMobile(sender);
  if (!value) return [];
  const column = medium === 'email' ? 'email' : medium === 'wechat' ? 'wechat' : 'phone';
  const direct = await k
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where(column, '=', value)
    .execute();
  const ids = new Set(direct.map((r) => r.id));
  if (medium !== 'wechat') {
    const viaIdentity = await k
      .selectFrom('customer_identities')
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('kind', '=', medium === 'email' ? 'email' : 'phone')
      .where('value', '=', value)
      .execute();
    for (const r of viaIdentity) ids.add(r.customer_id);
  }
  return [...ids].sort();
}

/**
 * An inbound reply on a channel. An opt-out word opts every customer with that phone (or email)
 * out of the channel's medium; the reply is kept with its channel and text as the record of why.
 */
export async function handleReply(
  ctx: AppContext,
  ws: string,
  input: { channelId: string; from: string; text: string; receivedAt?: string },
): Promise<{ optOut: boolean; customerIds: string[] }> {
  const channel = await channelRow(ctx, ws, input.channelId);
  const medium = channel.medium as Medium;
  const customerIds = await customersBySender(ctx, ws, medium, input.from);
  const optOut = isOptOutReply(input.text);
  const at = input.receivedAt ?? nowIso(ctx);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    if (optOut && customerIds.length > 0) {
      const column = OPT_OUT_COLUMN[medium];
      const before = await consentStates(trx, ws, customerIds);
      await trx
        .updateTable('customers')
        .set({ [column]: 1, updated_at: nowIso(ctx) })
        .where('workspace_id', '=', ws)
        .where('id', 'in', customerIds)
        .execute();
      await recordConsent(
        trx,
        ctx.db.dialect,
        ws,
        [...before].map(([customerId, state]) => ({ customerId, before: state, after: { [column]: 1 } })),
        { source: 'reply', detail: `${channel.name}: ${input.text.trim().slice(0, 100)}` },
        at,
      );
    }
    const who = customerIds.length > 0 ? customerIds : [null];
    await trx
      .insertInto('inbound_replies')
      .values(
        who.map((customerId) => ({
          workspace_id: ws,
          id: newId(),
          channel_id: channel.id,
          sender: input.from.slice(0, 200),
          body: input.text.slice(0, 2000),
          customer_id: customerId,
          action: optOut && customerId ? 'opt_out' : 'none',
          received_at: at,
        })),
      )
      .execute();
  });
  return { optOut, customerIds };
}

function splitCode(code: string): { ws: string; code: string } | null {
  const dot = code.indexOf('.');
  return dot > 0 ? { ws: code.slice(0, dot), code } : null;
}

/** A click on a tracked link: counted per recipient, answered with where to go (null: unknown code). */
export async function followLink(ctx: AppContext, rawCode: string): Promise<string | null> {
  const c = splitCode(rawCode);
  if (!c) return null;
  const k = ctx.db.kysely;
  const link = await k
    .selectFrom('message_links')
    .selectAll()
    .where('workspace_id', '=', c.ws)
    .where('code', '=', c.code)
    .where('kind', '=', 'click')
    .executeTakeFirst();
  if (!link?.url) return null;
  const now = nowIso(ctx);
  await k.transaction().execute(async (trx) => {
    await trx
      .updateTable('message_links')
      .set((eb) => ({
        clicks: eb('clicks', '+', 1),
        first_clicked_at: link.first_clicked_at ?? now,
        last_clicked_at: now,
      }))
      .where('workspace_id', '=', c.ws)
      .where('code', '=', c.code)
      .execute();
    await trx
      .updateTable('messages')
      .set((eb) => ({ clicks: eb('clicks', '+', 1) }))
      .where('workspace_id', '=', c.ws)
      .where('id', '=', link.message_id)
      .execute();
  });
  return link.url;
}

/** One-click unsubscribe (RFC 8058) from an email: opts the recipient out of email. */
export async function unsubscribe(ctx: AppContext, rawCode: string): Promise<boolean> {
  const c = splitCode(rawCode);
  if (!c) return false;
  const k = ctx.db.kysely;
  const link = await k
    .selectFrom('message_links as l')
    .innerJoin('messages as m', (j) =>
      j.onRef('m.workspace_id', '=', 'l.workspace_id').onRef('m.id', '=', 'l.message_id'),
    )
    .select(['l.customer_id', 'm.channel_id', 'm.contact'])
    .where('l.workspace_id', '=', c.ws)
    .where('l.code', '=', c.code)
    .where('l.kind', '=', 'unsubscribe')
    .executeTakeFirst();
  if (!link) return false;
  await k.transaction().execute(async (trx) => {
    const before = await consentStates(trx, c.ws, [link.customer_id]);
    await trx
      .updateTable('customers')
      .set({ opt_out_email: 1, updated_at: nowIso(ctx) })
      .where('workspace_id', '=', c.ws)
      .where('id', '=', link.customer_id)
      .execute();
    await recordConsent(
      trx,
      ctx.db.dialect,
      c.ws,
      [...before].map(([customerId, state]) => ({ customerId, before: state, after: { opt_out_email: 1 } })),
      { source: 'unsubscribe', detail: 'List-Unsubscribe=One-Click' },
      nowIso(ctx),
    );
    await trx
      .insertInto('inbound_replies')
      .values({
        workspace_id: c.ws,
        id: newId(),
        channel_id: link.channel_id,
        sender: link.contact ?? '',
        body: 'List-Unsubscribe=One-Click',
        customer_id: link.customer_id,
        action: 'opt_out',
        received_at: nowIso(ctx),
      })
      .execute();
  });
  return true;
}
