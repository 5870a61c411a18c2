import type * as Aliyun from '@alicloud/dysmsapi20170525';
import type * as TencentSdk from 'tencentcloud-sdk-nodejs-sms';
import { aliyunVerdict, tencentVerdict, type Verdict } from '../../core/messaging/provider-codes.js';
import { type Provider, ProviderError } from './providers.js';
import type { AliyunConfig, AliyunCredentials, TencentConfig, TencentCredentials } from './schema.js';

/**
 * Aliyun 短信服务 and Tencent Cloud SMS through their own SDKs. Neither de-duplicates a request: the
 * message id goes out as Aliyun's OutId / Tencent's SessionContext, and a retry after an attempt
 * whose outcome is unknown (a timeout, a crash) first asks the provider whether a send with that key
 * exists (QuerySendDetails / PullSmsSendStatusByPhoneNumber) instead of sending again.
 */

/** `http://127.0.0.1:8080` → http + host; a bare host name is https. */
export function splitEndpoint(endpoint: string): { protocol: 'http' | 'https'; host: string } {
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(endpoint);
  return m ? { protocol: m[1] as 'http' | 'https', host: m[2]! } : { protocol: 'https', host: endpoint };
}

/** The provider adds the signature itself from the sign name: the text goes without its 【…】. */
export function withoutSignature(text: string): string {
  return text.replace(/^【[^】]*】\s*/, '');
}

function fail(provider: string, code: string, message: string, v: Verdict): ProviderError {
  return new ProviderError(`${provider} ${code}: ${v.label}${message ? ` (${message})` : ''}`, v.retry === 'never', {
    throttle: v.retry === 'throttled' ? v.level : undefined,
    code,
  });
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 300);

/** An SDK error with the provider's error code (a refused request) or without (no answer). */
function fromSdkError(provider: string, e: unknown, verdict: (code: string, message: string) => Verdict) {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code && !/^(ECONN|ETIMEDOUT|EAI_|ENOTFOUND|EPIPE)/.test(code)) {
    const message = (e as { data?: { Message?: string } }).data?.Message ?? errText(e);
    return fail(provider, code, message, verdict(code, message));
  }
  // No answer, or not one we can read: the request may have been accepted; the next attempt asks first.
  return new ProviderError(`${provider}: no answer (${errText(e)})`, false);
}

/**
 * The providers' SDKs are large module graphs (hundreds of files): loaded on the first message a
 * configured provider sends, not by every server start, CLI command and test.
 */
let aliyunSdk: Promise<typeof Aliyun> | undefined;
const loadAliyun = () => (aliyunSdk ??= import('@alicloud/dysmsapi20170525'));
let tencentSdk: Promise<typeof TencentSdk> | undefined;
const loadTencent = () => (tencentSdk ??= import('tencentcloud-sdk-nodejs-sms'));

// A CommonJS module with `exports.default = Client`: under Node's ESM the class is default.default,
// under a bundler's interop it is default.
function aliyunClientClass(sdk: typeof Aliyun): typeof Aliyun.default.default {
  return typeof sdk.default.default === 'function'
    ? sdk.default.default
    : (sdk.default as unknown as typeof Aliyun.default.default);
}

function chinaDate(d: Date): string {
  return new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
}

export function aliyunSmsProvider(config: AliyunConfig, cred: AliyunCredentials, now: () => Date): Provider {
  const ep = splitEndpoint(config.endpoint);
  let made: Promise<{ sdk: typeof Aliyun; client: InstanceType<typeof Aliyun.default.default> }> | undefined;
  const sdkClient = () =>
    (made ??= (async () => {
      const [sdk, { $OpenApiUtil }] = await Promise.all([loadAliyun(), import('@alicloud/openapi-core')]);
      const client = new (aliyunClientClass(sdk))(
        new $OpenApiUtil.Config({
          accessKeyId: cred.accessKeyId,
          accessKeySecret: cred.accessKeySecret,
          endpoint: ep.host,
          protocol: ep.protocol,
          readTimeout: config.timeoutMs,
          connectTimeout: config.timeoutMs,
        }),
      );
      return { sdk, client };
    })());
  const params = (text: string) => JSON.stringify({ [config.bodyParam]: withoutSignature(text) });
  return {
    async send(msg) {
      const { sdk, client } = await sdkClient();
      let body: { code?: string; message?: string; bizId?: string } | undefined;
      try {
        const res = await client.sendSms(
          new sdk.SendSmsRequest({
            phoneNumbers: msg.to,
            signName: config.signName,
            templateCode: config.templateCode,
            templateParam: params(msg.text),
            outId: msg.id,
          }),
        );
        body = res.body;
      } catch (e) {
        throw fromSdkError('阿里云短信', e, aliyunVerdict);
      }
      const code = body?.code ?? '';
      const v = aliyunVerdict(code, body?.message ?? '');
      if (v.retry !== 'none') throw fail('阿里云短信', code, body?.message ?? '', v);
      return { ref: body?.bizId ?? null };
    },
    async sendMany(msgs) {
      // SendBatchSms: one template, a sign name and parameters per number, one OutId for the batch.
      const { sdk, client } = await sdkClient();
      let body: { code?: string; message?: string; bizId?: string } | undefined;
      try {
        const res = await client.sendBatchSms(
          new sdk.SendBatchSmsRequest({
            phoneNumberJson: JSON.stringify(msgs.map((m) => m.to)),
            signNameJson: JSON.stringify(msgs.map(() => config.signName)),
            templateCode: config.templateCode,
            templateParamJson: JSON.stringify(msgs.map((m) => JSON.parse(params(m.text)))),
            outId: msgs[0]?.id,
          }),
        );
        body = res.body;
      } catch (e) {
        throw fromSdkError('阿里云短信', e, aliyunVerdict);
      }
      const code = body?.code ?? '';
      const v = aliyunVerdict(code, body?.message ?? '');
      if (v.retry !== 'none') throw fail('阿里云短信', code, body?.message ?? '', v);
      return { ref: body?.bizId ?? null };
    },
    async lookup(msg) {
      // Sends of today and yesterday (China dates, as Aliyun keeps them) to this number, by our OutId.
      const { sdk, client } = await sdkClient();
      const today = now();
      for (const date of new Set([chinaDate(today), chinaDate(new Date(today.getTime() - 86_400_000))])) {
        for (let page = 1; page <= 5; page++) {
          let body: Aliyun.QuerySendDetailsResponseBody | undefined;
          try {
            body = (
              await client.querySendDetails(
                new sdk.QuerySendDetailsRequest({
                  phoneNumber: msg.to,
                  sendDate: date,
                  pageSize: 50,
                  currentPage: page,
                }),
              )
            ).body;
          } catch (e) {
            throw new ProviderError(`阿里云短信: could not check whether it was sent before (${errText(e)})`, false);
          }
          if (body?.code !== 'OK')
            throw new ProviderError(
              `阿里云短信 QuerySendDetails ${body?.code}: could not check whether it was sent before`,
              false,
            );
          const rows = body.smsSendDetailDTOs?.smsSendDetailDTO ?? [];
          if (rows.some((r) => r.outId === msg.id)) return { ref: null };
          if (rows.length < 50) break;
        }
      }
      return null;
    },
  };
}

type TencentClient = InstanceType<typeof TencentSdk.sms.v20210111.Client>;

export function tencentSmsProvider(config: TencentConfig, cred: TencentCredentials, now: () => Date): Provider {
  const ep = splitEndpoint(config.endpoint);
  let made: Promise<TencentClient> | undefined;
  const sdkClient = () =>
    (made ??= loadTencent().then(
      (sdk) =>
        new sdk.sms.v20210111.Client({
          credential: { secretId: cred.secretId, secretKey: cred.secretKey },
          region: config.region,
          profile: {
            httpProfile: { endpoint: ep.host, protocol: `${ep.protocol}://`, reqTimeout: config.timeoutMs / 1000 },
          },
        }),
    ));
  const e164 = (to: string) => (to.startsWith('+') ? to : `+86${to}`);
  return {
    async send(msg) {
      const client = await sdkClient();
      let status: { Code?: string; Message?: string; SerialNo?: string } | undefined;
      try {
        const res = await client.SendSms({
          PhoneNumberSet: [e164(msg.to)],
          SmsSdkAppId: config.sdkAppId,
          SignName: config.signName,
          TemplateId: config.templateId,
          TemplateParamSet: [withoutSignature(msg.text)],
          SessionContext: msg.id,
        });
        status = res.SendStatusSet?.[0];
      } catch (e) {
        throw fromSdkError('腾讯云短信', e, (code) => tencentVerdict(code));
      }
      const code = status?.Code ?? '';
      const v = tencentVerdict(code);
      if (v.retry !== 'none') throw fail('腾讯云短信', code, status?.Message ?? '', v);
      return { ref: status?.SerialNo ?? null };
    },
    async lookup(msg) {
      const client = await sdkClient();
      const end = Math.floor(now().getTime() / 1000);
      let rows: { SessionContext?: string; SerialNo?: string }[];
      try {
        const res = await client.PullSmsSendStatusByPhoneNumber({
          BeginTime: end - 2 * 86_400,
          EndTime: end,
          Offset: 0,
          Limit: 100,
          PhoneNumber: e164(msg.to),
          SmsSdkAppId: config.sdkAppId,
        });
        rows = res.PullSmsSendStatusSet ?? [];
      } catch (e) {
        throw new ProviderError(`腾讯云短信: could not check whether it was sent before (${errText(e)})`, false);
      }
      const found = rows.find((r) => r.SessionContext === msg.id);
      return found ? { ref: found.SerialNo ?? null } : null;
    },
  };
}
