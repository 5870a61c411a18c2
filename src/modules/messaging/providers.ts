import { createHmac, timingSafeEqual } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { LimitLevel } from '../../core/messaging/provider-codes.js';
import type { EmailConfig, WebhookConfig } from './schema.js';

/** One message on its way out, whatever the channel. */
export interface Outgoing {
  id: string;
  workspaceId: string;
  customerId: string;
  medium: string;
  kind: string;
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
  /** One-click unsubscribe address (email). */
  unsubscribeUrl: string | null;
}

/**
 * `permanent`: retrying cannot help (a refused address); `throttle`: the provider's flow control
 * said not now (the message waits, then goes); otherwise the job retries with backoff.
 */
export class ProviderError extends Error {
  readonly throttle: LimitLevel | undefined;
  readonly code: string | undefined;
  constructor(
    message: string,
    readonly permanent: boolean,
    opts: { throttle?: LimitLevel | undefined; code?: string } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
    this.throttle = opts.throttle;
    this.code = opts.code;
  }
}

export interface Provider {
  send(msg: Outgoing): Promise<{ ref: string | null }>;
  /** Several recipients in one request (test sends to staff); one reference for all. */
  sendMany?(msgs: Outgoing[]): Promise<{ ref: string | null }>;
  /**
   * Asked before a retry of a message whose earlier attempt may have reached the provider (no
   * answer, a crash): the provider's record of a send with our key, or null when there is none.
   */
  lookup?(msg: Outgoing): Promise<{ ref: string | null } | null>;
}

/** The outbox stores the message (the messages row itself) and shows it; nothing leaves the machine. */
export const outboxProvider: Provider = { send: async () => ({ ref: 'outbox' }) };

/** Hand-off to the marketplace's own tool: the audience file is the delivery (see handoffCsv). */
export const platformProvider: Provider = { send: async () => ({ ref: 'handoff' }) };

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The text as HTML: escaped, lines kept, and each web address a link one can click. */
export function textToHtml(text: string): string {
  const linked = escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (u) => `<a href="${u}">${u}</a>`);
  return `<!doctype html><html><body><p>${linked.replace(/\n/g, '<br>')}</p></body></html>`;
}

/**
 * What an e-mail carries: its text, and its HTML (the campaign's, or the text's). A marketing e-mail with an
 * unsubscribe link also says it where the reader sees it — a line at the end of the text and of the HTML — not only
 * in the header a mail client may or may not show.
 */
export function emailBodies(msg: Pick<Outgoing, 'text' | 'html' | 'unsubscribeUrl'>): { text: string; html: string } {
  const html = msg.html ?? textToHtml(msg.text);
  if (!msg.unsubscribeUrl) return { text: msg.text, html };
  const link = `<a href="${escapeHtml(msg.unsubscribeUrl)}">退订</a>`;
  const footer = `<p style="color:#888;font-size:12px">不想再收到这类邮件？${link}</p>`;
  return {
    text: `${msg.text}\n\n不想再收到这类邮件？退订：${msg.unsubscribeUrl}`,
    html: /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${footer}</body>`) : html + footer,
  };
}

export function emailProvider(config: EmailConfig, password: string | null): Provider {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass: password ?? '' } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  return {
    async send(msg) {
      const headers: Record<string, string> = {};
      if (msg.unsubscribeUrl) {
        // RFC 8058: a mail client may unsubscribe with one POST, without opening a page.
        headers['List-Unsubscribe'] = `<${msg.unsubscribeUrl}>`;
        headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      }
      try {
        const info = await transport.sendMail({
          from: config.from,
          replyTo: config.replyTo,
          to: msg.to,
          subject: msg.subject ?? '',
          ...emailBodies(msg),
          // Our id as Message-ID: a resend after a crash is recognisable as the same message.
          messageId: `<${msg.id}@huike>`,
          headers,
        });
        return { ref: info.messageId ?? null };
      } catch (e) {
        const code = (e as { responseCode?: number }).responseCode;
        const message = e instanceof Error ? e.message : String(e);
        // 5xx: the server refused for good (no such mailbox …); 4xx and connection errors: later.
        throw new ProviderError(`SMTP: ${message}`, code !== undefined && code >= 500);
      } finally {
        transport.close();
      }
    },
  };
}

export const SIGNATURE_HEADER = 'x-huike-signature';
export const TIMESTAMP_HEADER = 'x-huike-timestamp';

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` — the timestamp is signed so a replay is recognisable. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signed request: right signature, and a timestamp within `toleranceSec` of now. */
export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  now: Date,
  toleranceSec = 300,
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSec) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

export function webhookProvider(config: WebhookConfig, secret: string, now: () => Date): Provider {
  return {
    async send(msg) {
      const body = JSON.stringify({
        id: msg.id,
        kind: msg.kind,
        medium: msg.medium,
        customerId: msg.customerId,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
      });
      const ts = String(Math.floor(now().getTime() / 1000));
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [TIMESTAMP_HEADER]: ts,
            [SIGNATURE_HEADER]: signPayload(secret, ts, body),
            // The receiver can drop a repeat of the same message after a retry.
            'idempotency-key': msg.id,
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (e) {
        throw new ProviderError(`webhook: ${e instanceof Error ? e.message : String(e)}`, false);
      }
      const answer = (await res.text().catch(() => '')).slice(0, 200);
      if (res.ok) return { ref: res.headers.get('x-message-id') ?? null };
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw new ProviderError(`webhook answered ${res.status}${answer ? `: ${answer}` : ''}`, permanent);
    },
  };
}
