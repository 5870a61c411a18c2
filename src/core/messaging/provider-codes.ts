/**
 * What a provider's answer means for the message: sent, try later (flow control), never (a number
 * or content the provider will not take, or a channel set up wrong), or retry a few times (anything
 * else, unknown codes included). Codes are the providers' documented ones: Aliyun 短信服务 API error
 * codes, Tencent Cloud SMS error codes, 企业微信 全局错误码.
 */
export type Retry = 'none' | 'throttled' | 'never' | 'retry';
/** How long a flow-control limit lasts: per minute (or per 30 s, or the API's QPS), per hour, per day. */
export type LimitLevel = 'minute' | 'hour' | 'day';

export interface Verdict {
  retry: Retry;
  /** For throttled: which limit was hit. */
  level?: LimitLevel;
  /** Why, in the seller's words (zh-CN); the provider's code and message are kept beside it. */
  label: string;
}

const SENT: Verdict = { retry: 'none', label: '已提交' };
const throttled = (level: LimitLevel, label: string): Verdict => ({ retry: 'throttled', level, label });
const never = (label: string): Verdict => ({ retry: 'never', label });
const retry = (label: string): Verdict => ({ retry: 'retry', label });

const ALIYUN: Record<string, Verdict> = {
  OK: SENT,
  'isv.DAY_LIMIT_CONTROL': throttled('day', '触发日发送限额'),
  'isv.MOBILE_NUMBER_ILLEGAL': never('手机号码格式错误'),
  'isv.BLACK_KEY_CONTROL_LIMIT': never('号码在黑名单中'),
  'isv.MOBILE_COUNT_OVER_LIMIT': never('手机号码数量超过限制'),
  'isv.DOMESTIC_NUMBER_NOT_SUPPORTED': never('该号码不支持国内短信'),
  'isv.SMS_CONTENT_ILLEGAL': never('短信内容包含禁止发送的内容'),
  'isv.SMS_SIGN_ILLEGAL': never('短信签名不合法（渠道设置）'),
  'isv.SMS_SIGNATURE_ILLEGAL': never('短信签名不合法（渠道设置）'),
  'isv.SMS_SIGNATURE_SCENE_ILLEGAL': never('签名与模板类型不匹配（渠道设置）'),
  'isv.SMS_TEMPLATE_ILLEGAL': never('短信模板不合法（渠道设置）'),
  'isv.TEMPLATE_MISSING_PARAMETERS': never('模板缺少变量（渠道设置）'),
  'isv.INVALID_JSON_PARAM': never('模板变量不是合法 JSON'),
  'isv.INVALID_PARAMETERS': never('参数错误'),
  'isv.PARAM_LENGTH_LIMIT': never('模板变量超出长度限制'),
  'isv.EXTEND_CODE_ERROR': never('扩展码使用错误'),
  'isv.ACCOUNT_NOT_EXISTS': never('阿里云账户不存在（渠道设置）'),
  'isv.ACCOUNT_ABNORMAL': never('阿里云账户异常（渠道设置）'),
  'isv.SECURITY_FROZEN_ACCOUNT': never('账户被冻结（渠道设置）'),
  'isv.DENY_IP_RANGE': never('IP 不在白名单（渠道设置）'),
  'isp.RAM_PERMISSION_DENY': never('RAM 权限不足（渠道设置）'),
  SignatureDoesNotMatch: never('AccessKey Secret 不正确（渠道设置）'),
  'InvalidAccessKeyId.NotFound': never('AccessKey ID 不存在（渠道设置）'),
  'InvalidAccessKeyId.Inactive': never('AccessKey 已停用（渠道设置）'),
  Throttling: throttled('minute', '接口调用频率超限'),
  'Throttling.User': throttled('minute', '接口调用频率超限'),
  'Throttling.Api': throttled('minute', '接口调用频率超限'),
  'isv.AMOUNT_NOT_ENOUGH': retry('账户余额不足'),
  'isv.OUT_OF_SERVICE': retry('业务停机（余额不足）'),
  'isp.SYSTEM_ERROR': retry('阿里云系统错误'),
  ServiceUnavailable: retry('阿里云服务暂不可用'),
};

/** An Aliyun SendSms/SendBatchSms `Code`; the message says which flow-control level was hit. */
export function aliyunVerdict(code: string, message = ''): Verdict {
  if (code === 'isv.BUSINESS_LIMIT_CONTROL') {
    // 触发分钟级流控 / 触发小时级流控 / 触发天级流控 (per number, per template)
    const level: LimitLevel = /天级|日/.test(message) ? 'day' : /小时/.test(message) ? 'hour' : 'minute';
    return throttled(level, '触发号码发送频率限制');
  }
  return ALIYUN[code] ?? retry(`未知错误 ${code}`);
}

const TENCENT: Record<string, Verdict> = {
  Ok: SENT,
  'LimitExceeded.PhoneNumberThirtySecondLimit': throttled('minute', '单号码 30 秒内发送超限'),
  'LimitExceeded.PhoneNumberOneHourLimit': throttled('hour', '单号码 1 小时内发送超限'),
  'LimitExceeded.PhoneNumberDailyLimit': throttled('day', '单号码日发送超限'),
  'LimitExceeded.PhoneNumberSameContentDailyLimit': throttled('day', '单号码相同内容日发送超限'),
  'LimitExceeded.DailyLimit': throttled('day', '应用日发送量超限'),
  'LimitExceeded.AppDailyLimit': throttled('day', '应用日发送量超限'),
  'LimitExceeded.DeliveryFrequencyLimit': throttled('minute', '下发频率超限'),
  RequestLimitExceeded: throttled('minute', '接口调用频率超限'),
  'LimitExceeded.PhoneNumberCountLimit': never('手机号码数量超过限制'),
  'InvalidParameterValue.IncorrectPhoneNumber': never('手机号码格式错误'),
  'FailedOperation.PhoneNumberInBlacklist': never('号码在免打扰名单中'),
  'FailedOperation.PhoneNumberOnBlacklist': never('号码在免打扰名单中'),
  'UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber': never('国内与国际号码不能同时发送'),
  'UnsupportedOperation.UnsupportedRegion': never('不支持该地区号码'),
  'FailedOperation.ContainSensitiveWord': never('短信内容含敏感词'),
  'InvalidParameterValue.ContentLengthLimit': never('短信内容过长'),
  'InvalidParameterValue.ProhibitedUseUrlInTemplateParameter': never('模板变量中不能有链接'),
  'InvalidParameterValue.TemplateParameterFormatError': never('模板变量格式错误'),
  'InvalidParameterValue.TemplateParameterLengthLimit': never('模板变量超出长度限制'),
  'FailedOperation.TemplateIncorrectOrUnapproved': never('模板 ID 不正确或未审核（渠道设置）'),
  'FailedOperation.SignatureIncorrectOrUnapproved': never('签名不正确或未审核（渠道设置）'),
  'FailedOperation.MarketingSendTimeConstraint': throttled('hour', '营销短信不在允许的发送时段'),
  'UnauthorizedOperation.SmsSdkAppIdVerifyFail': never('SmsSdkAppId 校验失败（渠道设置）'),
  'UnauthorizedOperation.SerivceSuspendDueToArrears': retry('账户欠费'),
  'FailedOperation.InsufficientBalanceInSmsPackage': retry('短信套餐包余量不足'),
  FailedOperation: retry('腾讯云操作失败'),
  InternalError: retry('腾讯云内部错误'),
};

/** A Tencent Cloud SMS `Code` (a SendStatus's, or the request's Error.Code). */
export function tencentVerdict(code: string): Verdict {
  const known = TENCENT[code];
  if (known) return known;
  if (code.startsWith('AuthFailure')) return never('SecretId / SecretKey 不正确（渠道设置）');
  if (code.startsWith('LimitExceeded')) return throttled('minute', '发送频率超限');
  if (code.startsWith('InternalError')) return retry('腾讯云内部错误');
  return retry(`未知错误 ${code}`);
}

const WECOM: Record<number, Verdict> = {
  0: SENT,
  [-1]: retry('企业微信系统繁忙'),
  45009: throttled('minute', '接口调用超过限制'),
  45033: throttled('minute', '接口并发调用超过限制'),
  45035: throttled('day', '群发次数超过限制'),
  40003: never('无效的成员 UserID'),
  40096: never('无效的外部联系人 external_userid'),
  84061: never('不是该成员的外部联系人'),
  41048: never('没有可发送的客户'),
  40013: never('CorpID 不正确（渠道设置）'),
  40001: never('Secret 不正确（渠道设置）'),
  48002: never('API 接口无权限（渠道设置）'),
  60011: never('应用没有该成员的权限（渠道设置）'),
  60020: never('IP 不在可信 IP 列表（渠道设置）'),
};

/** A 企业微信 `errcode`. Token errors (40014, 42001) are handled by the client before this. */
export function wecomVerdict(errcode: number): Verdict {
  return WECOM[errcode] ?? retry(`未知错误 ${errcode}`);
}

/** The most times a throttled message is put back before it fails (flow control that never lifts). */
export const MAX_THROTTLED = 12;

const CHINA_OFFSET_MS = 8 * 3_600_000;

/**
 * When to try a throttled message again: a per-minute limit backs off from one minute, doubling up
 * to half an hour; an hourly one waits an hour; a daily one waits for the providers' next day
 * (midnight China time; the send windows then move it to the next window).
 */
export function throttledUntil(level: LimitLevel, throttledBefore: number, now: Date): Date {
  const t = now.getTime();
  if (level === 'minute') return new Date(t + Math.min(60_000 * 2 ** throttledBefore, 30 * 60_000));
  if (level === 'hour') return new Date(t + 3_600_000);
  const china = t + CHINA_OFFSET_MS;
  return new Date(china - (china % 86_400_000) + 86_400_000 - CHINA_OFFSET_MS);
}
