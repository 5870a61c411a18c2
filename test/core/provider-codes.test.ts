import { describe, expect, it } from 'vitest';
import {
  aliyunVerdict,
  tencentVerdict,
  throttledUntil,
  wecomVerdict,
} from '../../src/core/messaging/provider-codes.js';

describe('provider codes', () => {
  it('Aliyun: OK is sent, flow control waits by its level, a bad or blacklisted number never goes', () => {
    expect(aliyunVerdict('OK').retry).toBe('none');
    expect(aliyunVerdict('isv.BUSINESS_LIMIT_CONTROL', '触发分钟级流控Permits:1')).toMatchObject({
      retry: 'throttled',
      level: 'minute',
    });
    expect(aliyunVerdict('isv.BUSINESS_LIMIT_CONTROL', '触发小时级流控Permits:5').level).toBe('hour');
    expect(aliyunVerdict('isv.BUSINESS_LIMIT_CONTROL', '触发天级流控Permits:10').level).toBe('day');
    expect(aliyunVerdict('isv.DAY_LIMIT_CONTROL')).toMatchObject({ retry: 'throttled', level: 'day' });
    expect(aliyunVerdict('isv.MOBILE_NUMBER_ILLEGAL').retry).toBe('never');
    expect(aliyunVerdict('isv.BLACK_KEY_CONTROL_LIMIT').retry).toBe('never');
    expect(aliyunVerdict('isv.SMS_TEMPLATE_ILLEGAL').retry).toBe('never');
    expect(aliyunVerdict('isp.SYSTEM_ERROR').retry).toBe('retry');
    expect(aliyunVerdict('isv.NEVER_HEARD_OF_IT')).toMatchObject({
      retry: 'retry',
      label: '未知错误 isv.NEVER_HEARD_OF_IT',
    });
  });

  it('Tencent: Ok is sent, LimitExceeded waits, an incorrect number never goes, FailedOperation retries', () => {
    expect(tencentVerdict('Ok').retry).toBe('none');
    expect(tencentVerdict('LimitExceeded.PhoneNumberDailyLimit')).toMatchObject({ retry: 'throttled', level: 'day' });
    expect(tencentVerdict('LimitExceeded.PhoneNumberOneHourLimit').level).toBe('hour');
    expect(tencentVerdict('LimitExceeded.SomethingNew')).toMatchObject({ retry: 'throttled', level: 'minute' });
    expect(tencentVerdict('RequestLimitExceeded').retry).toBe('throttled');
    expect(tencentVerdict('InvalidParameterValue.IncorrectPhoneNumber').retry).toBe('never');
    expect(tencentVerdict('FailedOperation.PhoneNumberInBlacklist').retry).toBe('never');
    expect(tencentVerdict('AuthFailure.SecretIdNotFound').retry).toBe('never');
    expect(tencentVerdict('FailedOperation').retry).toBe('retry');
    expect(tencentVerdict('InternalError.Timeout').retry).toBe('retry');
    expect(tencentVerdict('Whatever').retry).toBe('retry');
  });

  it('企业微信: 0 is sent, 45009 waits, a wrong external_userid never goes, -1 retries', () => {
    expect(wecomVerdict(0).retry).toBe('none');
    expect(wecomVerdict(45009).retry).toBe('throttled');
    expect(wecomVerdict(40096).retry).toBe('never');
    expect(wecomVerdict(-1).retry).toBe('retry');
    expect(wecomVerdict(123456).retry).toBe('retry');
  });

  it('a throttled message waits a minute doubling to half an hour, an hour, or until the next China day', () => {
    const now = new Date('2026-11-23T02:00:00.000Z'); // 10:00 in Shanghai
    const wait = (level: 'minute' | 'hour' | 'day', n: number) =>
      throttledUntil(level, n, now).getTime() - now.getTime();
    expect([0, 1, 2, 5, 9].map((n) => wait('minute', n) / 60_000)).toEqual([1, 2, 4, 30, 30]);
    expect(wait('hour', 3)).toBe(3_600_000);
    expect(throttledUntil('day', 0, now).toISOString()).toBe('2026-11-23T16:00:00.000Z');
    // 23:30 in Shanghai: the next day starts in half an hour.
    expect(throttledUntil('day', 0, new Date('2026-11-23T15:30:00.000Z')).toISOString()).toBe(
      '2026-11-23T16:00:00.000Z',
    );
    expect(throttledUntil('day', 0, new Date('2026-11-23T16:00:00.000Z')).toISOString()).toBe(
      '2026-11-24T16:00:00.000Z',
    );
  });
});
