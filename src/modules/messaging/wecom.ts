import { createHash } from 'node:crypto';
import { wecomVerdict } from '../../core/messaging/provider-codes.js';
import { type Provider, ProviderError } from './providers.js';
import type { WecomConfig, WecomCredentials } from './schema.js';

/**
 * 企业微信 客户群发 (externalcontact/add_msg_template): the message becomes a mass-send task that the
 * member (or every member who added the customer) confirms in 企业微信, then it reaches the customer.
 * The contact is the customer's external_userid (the 微信 field of the customer). The access token
 * (gettoken with CorpID and the 客户联系 Secret) is cached until shortly before it expires, per
 * corp and secret, and fetched again when 企业微信 says it is no longer valid.
 */
const tokens = new Map<string, { token: string; expiresAt: number }>();
/** 40014 invalid, 42001 expired, 40082 wrong suite token: fetch a new one and try once more. */
const TOKEN_ERRORS = new Set([40014, 42001, 40082]);

interface WecomAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  msgid?: string;
  fail_list?: string[];
  next_cursor?: string;
  group_msg_list?: { msgid: string; creator?: string; text?: { content?: string } }[];
  task_list?: { userid: string }[];
  send_list?: { external_userid?: string; status?: number }[];
}

/** How far back a retry looks for the earlier attempt's mass-send task (a retry comes within hours). */
const LOOKUP_DAYS = 2;

export function clearWecomTokens(): void {
  tokens.clear();
}

export function wecomProvider(config: WecomConfig, cred: WecomCredentials, now: () => Date): Provider {
  const base = config.baseUrl.replace(/\/+$/, '');
  const cacheKey = `${config.corpId}:${createHash('sha256').update(cred.secret).digest('hex')}`;

  async function call(url: string, init?: RequestInit): Promise<WecomAnswer> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(config.timeoutMs) });
    } catch (e) {
      throw new ProviderError(`企业微信: no answer (${e instanceof Error ? e.message : String(e)})`, false);
    }
    if (!res.ok) throw new ProviderError(`企业微信 answered HTTP ${res.status}`, false);
    try {
      return (await res.json()) as WecomAnswer;
    } catch {
      throw new ProviderError('企业微信: the answer is not JSON', false);
    }
  }

  async function token(fresh: boolean): Promise<string> {
    const cached = tokens.get(cacheKey);
    if (!fresh && cached && cached.expiresAt > now().getTime()) return cached.token;
    const q = new URLSearchParams({ corpid: config.corpId, corpsecret: cred.secret });
    const a = await call(`${base}/cgi-bin/gettoken?${q}`);
    if (a.errcode !== 0 || !a.access_token) {
      const v = wecomVerdict(a.errcode ?? -1);
      throw new ProviderError(`企业微信 gettoken ${a.errcode}: ${v.label} (${a.errmsg ?? ''})`, v.retry === 'never');
    }
    // Kept until five minutes before it runs out (7200 s), so a send never carries an expiring token.
    const ttl = Math.max(60, (a.expires_in ?? 7200) - 300) * 1000;
    tokens.set(cacheKey, { token: a.access_token, expiresAt: now().getTime() + ttl });
    return a.access_token;
  }

  /** A POST with the current token, fetching a new one once when 企业微信 says it is no longer valid. */
  async function post(path: string, payload: unknown): Promise<WecomAnswer> {
    const body = JSON.stringify(payload);
    let answer: WecomAnswer = {};
    for (const fresh of [false, true]) {
      const t = await token(fresh);
      answer = await call(`${base}/cgi-bin/${path}?access_token=${encodeURIComponent(t)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (!TOKEN_ERRORS.has(answer.errcode ?? -1)) break;
      tokens.delete(cacheKey);
    }
    return answer;
  }

  /** Every page of a list call (cursor / next_cursor), as far as `max` pages. */
  async function pages(path: string, payload: Record<string, unknown>, max = 20): Promise<WecomAnswer[]> {
    const out: WecomAnswer[] = [];
    let cursor = '';
    for (let i = 0; i < max; i++) {
      const a = await post(path, { ...payload, ...(cursor ? { cursor } : {}) });
      if (a.errcode !== 0)
        throw new ProviderError(
          `企业微信 ${path} ${a.errcode}: could not check whether it was sent before (${a.errmsg ?? ''})`,
          false,
        );
      out.push(a);
      cursor = a.next_cursor ?? '';
      if (!cursor) break;
    }
    return out;
  }

  return {
    /**
     * add_msg_template takes no key of ours and 企业微信 does not de-duplicate: before a retry, the
     * mass-send tasks of the last days with this very text are listed (get_groupmsg_list_v2), and
     * each one's recipients (get_groupmsg_send_result, per member of get_groupmsg_task) are searched
     * for this customer. Found: the earlier attempt was accepted, nothing is sent again.
     */
    async lookup(msg) {
      const end = Math.floor(now().getTime() / 1000);
      const lists = await pages('externalcontact/get_groupmsg_list_v2', {
        chat_type: 'single',
        start_time: end - LOOKUP_DAYS * 86_400,
        end_time: end + 60,
        ...(config.sender ? { creator: config.sender } : {}),
        filter_type: 2,
        limit: 100,
      });
      const candidates = lists.flatMap((a) => a.group_msg_list ?? []).filter((g) => g.text?.content === msg.text);
      for (const g of candidates) {
        const members = config.sender
          ? [config.sender]
          : (await pages('externalcontact/get_groupmsg_task', { msgid: g.msgid, limit: 1000 })).flatMap((a) =>
              (a.task_list ?? []).map((t) => t.userid),
            );
        for (const userid of members) {
          const results = await pages('externalcontact/get_groupmsg_send_result', {
            msgid: g.msgid,
            userid,
            limit: 1000,
          });
          if (results.some((a) => (a.send_list ?? []).some((r) => r.external_userid === msg.to)))
            return { ref: g.msgid };
        }
      }
      return null;
    },
    async send(msg) {
      const answer = await post('externalcontact/add_msg_template', {
        chat_type: 'single',
        external_userid: [msg.to],
        ...(config.sender ? { sender: config.sender } : {}),
        text: { content: msg.text },
      });
      const code = answer.errcode ?? -1;
      const v = wecomVerdict(code);
      if (v.retry !== 'none')
        throw new ProviderError(`企业微信 ${code}: ${v.label} (${answer.errmsg ?? ''})`, v.retry === 'never', {
          throttle: v.retry === 'throttled' ? v.level : undefined,
          code: String(code),
        });
      // Accepted, but not for this customer (not a contact of the member, or left): it will never go.
      if (answer.fail_list?.includes(msg.to))
        throw new ProviderError(`企业微信: ${msg.to} 不是可发送的客户（fail_list）`, true, { code: 'fail_list' });
      return { ref: answer.msgid ?? null };
    },
  };
}
