import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Aliyun 短信服务, Tencent Cloud SMS and 企业微信, reached by the real SDKs
 * through a configurable endpoint. It checks each request as the provider would (Aliyun's
 * ACS3-HMAC-SHA256 and Tencent's TC3-HMAC-SHA256 signatures recomputed with the secret, required
 * parameters, 企业微信's access token), answers with the providers' documented codes, and records
 * every accepted send by our key (OutId / SessionContext), so a test can count double sends.
 */

export type Provider = 'aliyun' | 'tencent' | 'wecom';
/** What the fake does with one send: answer with this code, or accept it and never answer. */
export interface Outcome {
  code?: string | number;
  message?: string;
  /** Accept (record) the send, then leave the request unanswered: the client times out. */
  hang?: boolean;
}
export type Script = (p: Provider, to: string, key: string | null, call: number) => Outcome | undefined;

export interface SentRecord {
  provider: Provider;
  to: string;
  key: string | null;
  text: string;
  sign: string | null;
  template: string | null;
  ref: string;
}

export const ALIYUN_CRED = { accessKeyId: 'LTAI5tFakeAccessKey01', accessKeySecret: 'fake-aliyun-secret-0123456789' };
export const TENCENT_CRED = { secretId: 'AKIDfakeTencentSecretId01', secretKey: 'fake-tencent-secret-0123456789' };
export const WECOM = { corpId: 'ww0123456789abcdef', secret: 'fake-wecom-secret-0123456789' };

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
const pct = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Aliyun V3 signature: ACS3-HMAC-SHA256 over method, path, sorted query, signed headers and body hash. */
function aliyunSignatureOk(req: IncomingMessage, url: URL, body: string): boolean {
  const auth = String(req.headers.authorization ?? '');
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth);
  if (!m || m[1] !== ALIYUN_CRED.accessKeyId) return false;
  if (req.headers['x-acs-content-sha256'] !== sha256(body)) return false;
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [pct(k), pct(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signed = m[2]!.split(';');
  const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('');
  const canonical = [req.method, url.pathname, query, headers, m[2], sha256(body)].join('\n');
  const expected = hmac(ALIYUN_CRED.accessKeySecret, `ACS3-HMAC-SHA256\n${sha256(canonical)}`).toString('hex');
  return expected === m[3];
}

/** Tencent Cloud API 3.0 signature: TC3-HMAC-SHA256 with a key derived from date and service. */
function tencentSignatureOk(req: IncomingMessage, body: string): boolean {
  const auth = String(req.headers.authorization ?? '');
  const TC3 = new RegExp(
    '^TC3-HMAC-SHA256 Credential=([^/]+)/(\\d{4}-\\d{2}-\\d{2})/([^/]+)/tc3_request, ' +
      'SignedHeaders=([^,]+), Signature=([0-9a-f]+)$',
  );
  const m = TC3.exec(auth);
  if (!m || m[1] !== TENCENT_CRED.secretId) return false;
  const [, , date, service, signedHeaders, signature] = m;
  const ts = String(req.headers['x-tc-timestamp'] ?? '');
  if (new Date(Number(ts) * 1000).toISOString().slice(0, 10) !== date) return false;
  const headers = signedHeaders!
    .split(';')
    // The SDK signs the host name without the port.
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .replace(h === 'host' ? /:\d+$/ : /$^/, '')
          .toLowerCase()}\n`,
    )
    .join('');
  const canonical = ['POST', '/', '', headers, signedHeaders, sha256(body)].join('\n');
  const toSign = ['TC3-HMAC-SHA256', ts, `${date}/${service}/tc3_request`, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(`TC3${TENCENT_CRED.secretKey}`, date!), service!), 'tc3_request');
  return hmac(key, toSign).toString('hex') === signature;
}

export interface FakeProviders {
  url: string;
  /** Accepted sends, in order. */
  sent: SentRecord[];
  /** Accepted sends per key (OutId / SessionContext / external_userid for 企业微信). */
  byKey(): Map<string, number>;
  /** Requests refused for a bad signature or a missing parameter, with why. */
  rejected: string[];
  /** Every call, by provider action. */
  calls: Record<string, number>;
  /** 企业微信: tokens issued; expireTokens() makes the current ones invalid (42001). */
  tokensIssued: number;
  expireTokens(): void;
  script: Script;
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const hanging = new Set<ServerResponse>();
  let serial = 0;
  let tokenGen = 0;
  let validToken: string | null = null;
  const tasks: { msgid: string; creator: string; to: string; text: string; at: number }[] = [];
  const state: FakeProviders = {
    url: '',
    sent: [],
    byKey() {
      const m = new Map<string, number>();
      for (const s of state.sent) if (s.key) m.set(s.key, (m.get(s.key) ?? 0) + 1);
      return m;
    },
    rejected: [],
    calls: {},
    tokensIssued: 0,
    expireTokens() {
      validToken = null;
    },
    script: () => undefined,
    close: async () => {},
  };
  const count = (action: string) => {
    state.calls[action] = (state.calls[action] ?? 0) + 1;
    return state.calls[action]!;
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  const reject = (why: string) => {
    state.rejected.push(why);
  };

  function aliyun(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    const action = String(req.headers['x-acs-action'] ?? '');
    const call = count(`aliyun.${action}`);
    const requestId = `req-${call}`;
    if (!aliyunSignatureOk(req, url, body)) {
      reject(`aliyun ${action}: bad signature`);
      return json(res, 400, {
        Code: 'SignatureDoesNotMatch',
        Message: 'Specified signature is not matched',
        RequestId: requestId,
      });
    }
    // RPC style: parameters in the query, the long JSON ones of SendBatchSms in a form body.
    const q = new URLSearchParams(url.searchParams);
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      for (const [k, v] of new URLSearchParams(body)) q.set(k, v);
    if (action === 'QuerySendDetails') {
      const phone = q.get('PhoneNumber');
      if (!phone || !/^\d{8}$/.test(q.get('SendDate') ?? '') || !q.get('PageSize') || !q.get('CurrentPage'))
        return json(res, 200, { Code: 'isv.INVALID_PARAMETERS', Message: 'missing parameter', RequestId: requestId });
      const page = Number(q.get('CurrentPage'));
      const size = Number(q.get('PageSize'));
      const rows = state.sent.filter((s) => s.provider === 'aliyun' && s.to === phone);
      return json(res, 200, {
        Code: 'OK',
        Message: 'OK',
        RequestId: requestId,
        TotalCount: String(rows.length),
        SmsSendDetailDTOs: {
          SmsSendDetailDTO: rows.slice((page - 1) * size, page * size).map((s) => ({
            PhoneNum: s.to,
            SendStatus: 3,
            ErrCode: 'DELIVERED',
            TemplateCode: s.template,
            Content: `【${s.sign}】${s.text}`,
            OutId: s.key,
          })),
        },
      });
    }
    let items: { to: string; sign: string | null; params: string }[];
    if (action === 'SendSms') {
      const phones = (q.get('PhoneNumbers') ?? '').split(',').filter(Boolean);
      items = phones.map((to) => ({ to, sign: q.get('SignName'), params: q.get('TemplateParam') ?? '{}' }));
    } else if (action === 'SendBatchSms') {
      const phones = JSON.parse(q.get('PhoneNumberJson') ?? '[]') as string[];
      const signs = JSON.parse(q.get('SignNameJson') ?? '[]') as string[];
      const params = JSON.parse(q.get('TemplateParamJson') ?? '[]') as unknown[];
      if (signs.length !== phones.length || params.length !== phones.length)
        return json(res, 200, { Code: 'isv.INVALID_PARAMETERS', Message: 'JSON lengths differ', RequestId: requestId });
      items = phones.map((to, i) => ({ to, sign: signs[i]!, params: JSON.stringify(params[i]) }));
    } else return json(res, 400, { Code: 'InvalidAction.NotFound', Message: action, RequestId: requestId });
    const template = q.get('TemplateCode');
    if (items.length === 0 || !template || items.some((i) => !i.sign))
      return json(res, 200, { Code: 'isv.INVALID_PARAMETERS', Message: 'missing parameter', RequestId: requestId });
    let texts: string[];
    try {
      texts = items.map((i) => Object.values(JSON.parse(i.params) as Record<string, string>).join(' '));
    } catch {
      return json(res, 200, { Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON参数不合法', RequestId: requestId });
    }
    const key = q.get('OutId');
    const outcome = state.script('aliyun', items[0]!.to, key, call);
    if (items.some((i) => !/^1[3-9]\d{9}$/.test(i.to.replace(/^(\+?86)/, ''))))
      return json(res, 200, { Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号', RequestId: requestId });
    if (outcome?.code && !outcome.hang)
      return json(res, 200, {
        Code: outcome.code,
        Message: outcome.message ?? String(outcome.code),
        RequestId: requestId,
      });
    const bizId = `biz-${++serial}`;
    items.forEach((i, n) =>
      state.sent.push({ provider: 'aliyun', to: i.to, key, text: texts[n]!, sign: i.sign, template, ref: bizId }),
    );
    if (outcome?.hang) return void hanging.add(res);
    json(res, 200, { Code: 'OK', Message: 'OK', BizId: bizId, RequestId: requestId });
  }

  function tencent(req: IncomingMessage, res: ServerResponse, body: string) {
    const action = String(req.headers['x-tc-action'] ?? '');
    const call = count(`tencent.${action}`);
    const fail = (code: string, message: string) =>
      json(res, 200, { Response: { Error: { Code: code, Message: message }, RequestId: `req-${call}` } });
    if (!tencentSignatureOk(req, body)) {
      reject(`tencent ${action}: bad signature`);
      return fail('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.');
    }
    const p = JSON.parse(body) as Record<string, unknown>;
    if (typeof p.SmsSdkAppId !== 'string' || !/^\d{10}$/.test(p.SmsSdkAppId))
      return fail('InvalidParameterValue.SdkAppIdNotExist', 'SdkAppId not exist');
    if (action === 'PullSmsSendStatusByPhoneNumber') {
      if (typeof p.BeginTime !== 'number' || p.Offset !== 0 || typeof p.Limit !== 'number')
        return fail('InvalidParameter', 'BeginTime, Offset (0) and Limit are required');
      const rows = state.sent.filter((s) => s.provider === 'tencent' && s.to === p.PhoneNumber);
      return json(res, 200, {
        Response: {
          PullSmsSendStatusSet: rows.slice(0, p.Limit as number).map((s) => ({
            UserReceiveTime: 0,
            CountryCode: '86',
            SubscriberNumber: s.to.replace(/^\+86/, ''),
            PhoneNumber: s.to,
            SerialNo: s.ref,
            ReportStatus: 'SUCCESS',
            Description: '用户短信送达成功',
            SessionContext: s.key,
          })),
          RequestId: `req-${call}`,
        },
      });
    }
    if (action !== 'SendSms') return fail('InvalidAction', action);
    const phones = p.PhoneNumberSet as string[] | undefined;
    const params = p.TemplateParamSet as string[] | undefined;
    if (!Array.isArray(phones) || phones.length === 0) return fail('MissingParameter', 'PhoneNumberSet');
    if (typeof p.SignName !== 'string' || !p.SignName) return fail('MissingParameter', 'SignName');
    if (typeof p.TemplateId !== 'string' || !Array.isArray(params) || params.length !== 1)
      return fail('InvalidParameterValue.TemplateParameterFormatError', 'the template has one parameter');
    const to = phones[0]!;
    const key = typeof p.SessionContext === 'string' ? p.SessionContext : null;
    const outcome = state.script('tencent', to, key, call);
    const status = (code: string, message: string, serialNo = '') => ({
      SerialNo: serialNo,
      PhoneNumber: to,
      Fee: code === 'Ok' ? 1 : 0,
      SessionContext: key ?? '',
      Code: code,
      Message: message,
      IsoCode: 'CN',
    });
    if (!/^\+861[3-9]\d{9}$/.test(to))
      return json(res, 200, {
        Response: {
          SendStatusSet: [status('InvalidParameterValue.IncorrectPhoneNumber', 'incorrect number')],
          RequestId: `req-${call}`,
        },
      });
    if (outcome?.code && !outcome.hang) {
      const code = String(outcome.code);
      // Request-level errors come as Response.Error; per-number ones in SendStatusSet.
      if (code === 'RequestLimitExceeded' || code.startsWith('AuthFailure') || code.startsWith('InternalError'))
        return fail(code, outcome.message ?? code);
      return json(res, 200, {
        Response: { SendStatusSet: [status(code, outcome.message ?? code)], RequestId: `req-${call}` },
      });
    }
    const serialNo = `2433:${++serial}`;
    state.sent.push({
      provider: 'tencent',
      to,
      key,
      text: params[0]!,
      sign: p.SignName,
      template: p.TemplateId,
      ref: serialNo,
    });
    if (outcome?.hang) return void hanging.add(res);
    json(res, 200, {
      Response: { SendStatusSet: [status('Ok', 'send success', serialNo)], RequestId: `req-${call}` },
    });
  }

  function wecom(res: ServerResponse, url: URL, body: string) {
    if (url.pathname === '/cgi-bin/gettoken') {
      count('wecom.gettoken');
      if (url.searchParams.get('corpid') !== WECOM.corpId)
        return json(res, 200, { errcode: 40013, errmsg: 'invalid corpid' });
      if (url.searchParams.get('corpsecret') !== WECOM.secret)
        return json(res, 200, { errcode: 40001, errmsg: 'invalid credential' });
      validToken = `tok-${++tokenGen}`;
      state.tokensIssued += 1;
      return json(res, 200, { errcode: 0, errmsg: 'ok', access_token: validToken, expires_in: 7200 });
    }
    const action = url.pathname.replace('/cgi-bin/externalcontact/', '');
    const known = ['add_msg_template', 'get_groupmsg_list_v2', 'get_groupmsg_task', 'get_groupmsg_send_result'];
    if (!known.includes(action)) return json(res, 404, { errcode: 404 });
    const call = count(`wecom.${action}`);
    const token = url.searchParams.get('access_token');
    if (!token || token !== validToken)
      return json(res, 200, { errcode: token?.startsWith('tok-') ? 42001 : 40014, errmsg: 'access_token expired' });
    if (action !== 'add_msg_template') return wecomQuery(res, action, JSON.parse(body) as Record<string, unknown>);
    const p = JSON.parse(body) as {
      chat_type?: string;
      external_userid?: string[];
      sender?: string;
      text?: { content?: string };
    };
    if (p.chat_type !== 'single' || !Array.isArray(p.external_userid) || !p.text?.content) {
      reject('wecom add_msg_template: chat_type, external_userid and text.content are required');
      return json(res, 200, { errcode: 41048, errmsg: 'no valid customer' });
    }
    const to = p.external_userid[0]!;
    const outcome = state.script('wecom', to, to, call);
    if (outcome?.code !== undefined && !outcome.hang) {
      if (outcome.code === 'fail_list') return json(res, 200, { errcode: 0, errmsg: 'ok', fail_list: [to], msgid: '' });
      return json(res, 200, { errcode: Number(outcome.code), errmsg: outcome.message ?? 'error' });
    }
    const msgid = `msg${++serial}`;
    state.sent.push({ provider: 'wecom', to, key: to, text: p.text.content, sign: null, template: null, ref: msgid });
    tasks.push({ msgid, creator: p.sender ?? 'admin', to, text: p.text.content, at: Math.floor(Date.now() / 1000) });
    if (outcome?.hang) return void hanging.add(res);
    json(res, 200, { errcode: 0, errmsg: 'ok', fail_list: [], msgid });
  }

  /** 企业微信's mass-send tasks as its query APIs list them (one page each: the tests stay small). */
  function wecomQuery(res: ServerResponse, action: string, p: Record<string, unknown>) {
    if (action === 'get_groupmsg_list_v2') {
      const start = p.start_time;
      const end = p.end_time;
      if (p.chat_type !== 'single' || typeof start !== 'number' || typeof end !== 'number') {
        reject('wecom get_groupmsg_list_v2: chat_type, start_time and end_time are required');
        return json(res, 200, { errcode: 40058, errmsg: 'invalid parameter' });
      }
      // The real API serves at most one month; the fake's clock is the machine's, the test's may differ.
      if (end - start > 31 * 86_400) {
        reject('wecom get_groupmsg_list_v2: the range is longer than a month');
        return json(res, 200, { errcode: 40058, errmsg: 'invalid time range' });
      }
      const list = tasks
        .filter((t) => (p.creator === undefined || t.creator === p.creator) && p.chat_type === 'single')
        .map((t) => ({ msgid: t.msgid, creator: t.creator, create_type: 0, text: { content: t.text } }));
      return json(res, 200, { errcode: 0, errmsg: 'ok', next_cursor: '', group_msg_list: list });
    }
    const task = tasks.find((t) => t.msgid === p.msgid);
    if (!task) return json(res, 200, { errcode: 41063, errmsg: 'msgid not found' });
    if (action === 'get_groupmsg_task')
      return json(res, 200, {
        errcode: 0,
        errmsg: 'ok',
        next_cursor: '',
        task_list: [{ userid: task.creator, status: 2, send_time: task.at }],
      });
    if (p.userid !== task.creator) return json(res, 200, { errcode: 0, errmsg: 'ok', next_cursor: '', send_list: [] });
    return json(res, 200, {
      errcode: 0,
      errmsg: 'ok',
      next_cursor: '',
      send_list: [{ external_userid: task.to, userid: task.creator, status: 1, send_time: task.at }],
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      try {
        if (req.headers['x-acs-action']) return aliyun(req, res, url, body);
        if (req.headers['x-tc-action']) return tencent(req, res, body);
        if (url.pathname.startsWith('/cgi-bin/')) return wecom(res, url, body);
        json(res, 404, { error: 'unknown provider' });
      } catch (e) {
        json(res, 500, { error: String(e) });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return state;
}
