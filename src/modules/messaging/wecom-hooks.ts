import { reason } from '../../core/reasons.js';
import {
  wecomCallbackSecrets,
  type WecomCallbackKeys,
  wecomOpen,
  xmlField,
} from '../../core/messaging/wecom-crypto.js';
import { Invalid, NotFound, Unauthorized } from '../../core/errors.js';
import { readJson } from '../../db/json.js';
import type { AppContext } from '../context.js';
import { type ChannelRow, channelRow } from './channels.js';
import { applyReplies } from './receipts.js';
import type { WecomConfig } from './schema.js';

/**
 * The 企业微信 callback (接收事件服务器) of a channel: 企业微信 checks the URL with a GET carrying an
 * encrypted echostr, then POSTs encrypted XML. Both are signed with the channel's Token; a text a
 * customer sends (MsgType text) is a reply, where R/T/TD/N/退订 opts them out of 企业微信. Other
 * events are acknowledged and left alone.
 */
export interface WecomQuery {
  msg_signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
}

async function wecomChannel(
  ctx: AppContext,
  ws: string,
  id: string,
): Promise<{ row: ChannelRow; keys: WecomCallbackKeys }> {
  const row = await channelRow(ctx, ws, id).catch(() => null);
  if (!row || row.kind !== 'wecom' || !row.hook_token)
    throw new NotFound('no such 企业微信 callback address', reason('wecom.noCallback'));
  const { corpId } = readJson<WecomConfig>(row.config);
  return { row, keys: { ...wecomCallbackSecrets(row.hook_token), corpId } };
}

function open(keys: WecomCallbackKeys, q: WecomQuery, encrypted: string): string {
  const r = wecomOpen(keys, { signature: q.msg_signature, timestamp: q.timestamp, nonce: q.nonce }, encrypted);
  if (r.ok) return r.message;
  if (r.problem.startsWith('msg_signature, timestamp'))
    throw new Invalid(`企业微信 callback: ${r.problem}`, reason('wecom.invalid', { problem: r.problem }));
  throw new Unauthorized(`企业微信 callback refused: ${r.problem}`, reason('wecom.refused', { problem: r.problem }));
}

/** The URL check: the decrypted echostr, answered as it is. */
export async function verifyWecomUrl(ctx: AppContext, ws: string, id: string, q: WecomQuery): Promise<string> {
  const { keys } = await wecomChannel(ctx, ws, id);
  if (!q.echostr)
    throw new Invalid('企业微信 callback: echostr is required in the query of the URL check', reason('wecom.echostr'));
  return open(keys, q, q.echostr);
}

/** A pushed message: the customer's text becomes a reply on the channel; answered "success". */
export async function receiveWecomCallback(
  ctx: AppContext,
  ws: string,
  id: string,
  q: WecomQuery,
  body: string,
): Promise<{ replies: number }> {
  const { row, keys } = await wecomChannel(ctx, ws, id);
  const encrypted = xmlField(body, 'Encrypt');
  if (!encrypted)
    throw new Invalid('企业微信 callback: the body must be XML with an <Encrypt> element', reason('wecom.xml'));
  const xml = open(keys, q, encrypted);
  const type = xmlField(xml, 'MsgType');
  const from = xmlField(xml, 'FromUserName');
  const text = xmlField(xml, 'Content');
  if (type !== 'text' || !from || text === null) return { replies: 0 };
  const created = Number(xmlField(xml, 'CreateTime'));
  const at = Number.isFinite(created) && created > 0 ? new Date(created * 1000).toISOString() : null;
  await applyReplies(ctx, row, [{ from, text, at }]);
  return { replies: 1 };
}
