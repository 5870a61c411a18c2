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
}

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

  return {
    async send(msg) {
      const body = JSON.stringify({
        chat_type: 'single',
        external_userid: [msg.to],
        ...(config.sender ? { sender: config.sender } : {}),
        text: { content: msg.text },
      });
      let answer: WecomAnswer | undefined;
      for (const fresh of [false, true]) {
        const t = await token(fresh);
        answer = await call(`${base}/cgi-bin/externalcontact/add_msg_template?access_token=${encodeURIComponent(t)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (!TOKEN_ERRORS.has(answer.errcode ?? -1)) break;
        tokens.delete(cacheKey);
      }
      const code = answer?.errcode ?? -1;
      const v = wecomVerdict(code);
      if (v.retry !== 'none')
        throw new ProviderError(`企业微信 ${code}: ${v.label} (${answer?.errmsg ?? ''})`, v.retry === 'never', {
          throttle: v.retry === 'throttled' ? v.level : undefined,
          code: String(code),
        });
      // Accepted, but not for this customer (not a contact of the member, or left): it will never go.
      if (answer?.fail_list?.includes(msg.to))
        throw new ProviderError(`企业微信: ${msg.to} 不是可发送的客户（fail_list）`, true, { code: 'fail_list' });
      return { ref: answer?.msgid ?? null };
    },
  };
}
