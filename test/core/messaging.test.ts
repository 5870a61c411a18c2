import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignGroups, CONTROL, splitSizes } from '../../src/core/messaging/assign.js';
import { attribute, outcomeOf } from '../../src/core/messaging/attribution.js';
import {
  type CustomerFacts,
  decide,
  decideBatch,
  DEFAULT_RULES,
  type DecisionInput,
} from '../../src/core/messaging/decide.js';
import {
  complianceIssues,
  complianceProblems,
  marketingSms,
  measureSms,
  smsChars,
  smsParts,
} from '../../src/core/messaging/sms.js';
import { renderTemplate, templateProblems, variablesIn } from '../../src/core/messaging/templates.js';
import { intervalsOf, nextOpening } from '../../src/core/messaging/windows.js';

const customer = (over: Partial<CustomerFacts> = {}): CustomerFacts => ({
  id: 'c1',
  consent: 'granted',
  lastPaidAt: '2026-11-01T00:00:00.000Z',
  phone: '13812345678',
  email: 'li@example.com',
  wechat: null,
  platformHandle: 'tb_li',
  optOut: { sms: false, email: false, wechat: false },
  blacklisted: false,
  badReviewer: false,
  picky: false,
  timeZone: 'Asia/Shanghai',
  ...over,
});

// 2026-11-23 10:00 in Shanghai: inside the 09:30–12:00 window.
const IN_WINDOW = new Date('2026-11-23T02:00:00.000Z');
const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({
  kind: 'marketing',
  medium: 'sms',
  customer: customer(),
  history: { marketingAt: [] },
  now: IN_WINDOW,
  rules: DEFAULT_RULES,
  ...over,
});
const reasonOf = (i: DecisionInput) => {
  const d = decide(i);
  return d.action === 'skip' ? d.reason : d.action;
};

describe('templates', () => {
  it('a known variable is accepted and an unknown one is an error naming it', () => {
    expect(templateProblems('亲爱的#客户昵称#，您在#店铺名#的#优惠券金额#元券快到期了')).toEqual([]);
    const p = templateProblems('亲爱的#昵称#，看看#链接#');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/unknown variable #昵称#/);
    expect(variablesIn('#姓名##姓名##积分#')).toEqual(['姓名', '积分']);
  });
  it('fills every variable, and an empty value holds the message naming the variable', () => {
    expect(renderTemplate('#姓名#您好，积分#积分#', { 姓名: '李雷', 积分: 0 })).toEqual({
      ok: true,
      text: '李雷您好，积分0',
    });
    expect(renderTemplate('#姓名#您好，券#优惠券#', { 姓名: ' ', 优惠券: null })).toEqual({
      ok: false,
      missing: ['姓名', '优惠券'],
      partial: '#姓名#您好，券#优惠券#',
    });
    // What is known is filled in the partial text (a preview shows it), what is missing stays the variable.
    expect(renderTemplate('#姓名#您好，#店铺名#送您#积分#积分', { 姓名: '', 店铺名: '回客', 积分: 5 })).toEqual({
      ok: false,
      missing: ['姓名'],
      partial: '#姓名#您好，回客送您5积分',
    });
  });
});

describe('SMS length, parts and cost', () => {
  it('70 characters are one SMS; longer texts are parts of 67', () => {
    expect(smsParts('字'.repeat(70))).toBe(1);
    expect(smsParts('字'.repeat(71))).toBe(2);
    expect(smsParts('a'.repeat(134))).toBe(2);
    expect(smsParts('a'.repeat(135))).toBe(3);
    expect(smsParts('')).toBe(0);
    // An emoji is one character, not two UTF-16 units.
    expect(measureSms(`${'好'.repeat(69)}😀`, 5)).toEqual({ chars: 70, parts: 1, costFen: 5 });
    expect(measureSms('字'.repeat(200), 5)).toEqual({ chars: 200, parts: 3, costFen: 15 });
  });
  it('counts characters as code points, lone surrogates as one each', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (t) => smsChars(t) === Array.from(t).length));
    expect(smsChars('\ud83d')).toBe(1);
    expect(smsChars('a\ude00\ud83d')).toBe(3);
  });
  it('a marketing SMS always carries the signature and the opt-out wording', () => {
    const c = { signature: '回客旗舰店', optOutText: '拒收请回复R' };
    expect(marketingSms('双11 会员价开抢', c)).toBe('【回客旗舰店】双11 会员价开抢 拒收请回复R');
    // Already there: nothing doubled.
    expect(marketingSms('【回客旗舰店】上新了 拒收请回复R', c)).toBe('【回客旗舰店】上新了 拒收请回复R');
    expect(complianceProblems({ signature: '', optOutText: '退订回T' })).toHaveLength(2);
    expect(complianceProblems({ signature: '回客', optOutText: '不想收到请回复 R 退订' })).toEqual([]);
    // A signature that shows nothing is none; an invisible character in a real one is refused too.
    const keys = (signature: string) => complianceIssues({ signature, optOutText: '拒收请回复R' }).map((i) => i.key);
    expect(keys('\u200b')).toEqual(['sms.noSignature']);
    expect(keys(' \u202e ')).toEqual(['sms.noSignature']);
    expect(keys('回客\u200b')).toEqual(['sms.signatureInvisible']);
    expect(keys('回客 旗舰店')).toEqual([]);
  });
});

describe('send windows', () => {
  const w = intervalsOf(DEFAULT_RULES.windows);
  it('inside a window sends now; after one it waits for the next', () => {
    expect(nextOpening(IN_WINDOW, 'Asia/Shanghai', w)?.toISOString()).toBe(IN_WINDOW.toISOString());
    // 12:00 local: the morning window has closed (ends are exclusive) → 14:00 local.
    expect(nextOpening(new Date('2026-11-23T04:00:00.000Z'), 'Asia/Shanghai', w)?.toISOString()).toBe(
      '2026-11-23T06:00:00.000Z',
    );
  });
  it('after the last window of the day it waits until the next morning, across midnight', () => {
    // 22:00 local → 09:30 the next day.
    expect(nextOpening(new Date('2026-11-23T14:00:00.000Z'), 'Asia/Shanghai', w)?.toISOString()).toBe(
      '2026-11-24T01:30:00.000Z',
    );
  });
  it("reads the windows in the store's zone, across daylight-saving changes", () => {
    // 23:00 on 22 Nov in New York (UTC−5) → 09:30 local on the 23rd = 14:30 UTC.
    expect(nextOpening(new Date('2026-11-23T04:00:00.000Z'), 'America/New_York', w)?.toISOString()).toBe(
      '2026-11-23T14:30:00.000Z',
    );
    // 01:00 EST on 8 March 2026, the night clocks go forward → 09:30 EDT (UTC−4) = 13:30 UTC.
    expect(nextOpening(new Date('2026-03-08T06:00:00.000Z'), 'America/New_York', w)?.toISOString()).toBe(
      '2026-03-08T13:30:00.000Z',
    );
  });
  it('a window may run across midnight', () => {
    const late = intervalsOf([{ start: '21:00', end: '01:00' }]);
    // 00:30 local is inside; 01:00 is not, and waits for 21:00.
    const at0030 = new Date('2026-11-22T16:30:00.000Z');
    expect(nextOpening(at0030, 'Asia/Shanghai', late)?.toISOString()).toBe(at0030.toISOString());
    expect(nextOpening(new Date('2026-11-22T17:00:00.000Z'), 'Asia/Shanghai', late)?.toISOString()).toBe(
      '2026-11-23T13:00:00.000Z',
    );
  });
});

describe('the send decision', () => {
  it('sends to a consenting customer with a phone inside a window', () => {
    expect(decide(input())).toEqual({
      action: 'send',
      at: IN_WINDOW,
      contact: '13812345678',
      contactKey: 'sms:13812345678',
    });
  });
  it('marketing needs granted consent; unknown is accepted only by the setting, for recent buyers', () => {
    expect(reasonOf(input({ customer: customer({ consent: 'denied' }) }))).toBe('consent_denied');
    expect(reasonOf(input({ customer: customer({ consent: 'unknown' }) }))).toBe('no_consent');
    const lenient = { ...DEFAULT_RULES, acceptUnknownConsent: true };
    expect(reasonOf(input({ rules: lenient, customer: customer({ consent: 'unknown' }) }))).toBe('send');
    // Bought 200 days ago: not recent (180 days).
    const old = customer({ consent: 'unknown', lastPaidAt: '2026-05-07T00:00:00.000Z' });
    expect(reasonOf(input({ rules: lenient, customer: old }))).toBe('no_consent');
    expect(reasonOf(input({ rules: lenient, customer: customer({ consent: 'unknown', lastPaidAt: null }) }))).toBe(
      'no_consent',
    );
    // Care messages (a shipping notice) do not need marketing consent.
    expect(reasonOf(input({ kind: 'care', customer: customer({ consent: 'denied' }) }))).toBe('send');
  });
  it('an opt-out holds only its own channel', () => {
    const c = customer({ optOut: { sms: true, email: false, wechat: false } });
    expect(reasonOf(input({ customer: c }))).toBe('opted_out');
    expect(reasonOf(input({ customer: c, medium: 'email' }))).toBe('send');
    expect(reasonOf(input({ customer: c, medium: 'platform' }))).toBe('opted_out');
    expect(reasonOf(input({ customer: c, kind: 'care' }))).toBe('opted_out');
  });
  it('blacklisted customers get nothing; bad reviewers and picky customers no marketing', () => {
    expect(reasonOf(input({ customer: customer({ blacklisted: true }) }))).toBe('blacklisted');
    expect(reasonOf(input({ kind: 'care', customer: customer({ blacklisted: true }) }))).toBe('blacklisted');
    expect(reasonOf(input({ customer: customer({ badReviewer: true }) }))).toBe('bad_reviewer');
    expect(reasonOf(input({ customer: customer({ picky: true }) }))).toBe('picky');
    expect(reasonOf(input({ kind: 'care', customer: customer({ badReviewer: true, picky: true }) }))).toBe('send');
  });
  it('a masked or missing contact point is skipped with that reason', () => {
    const masked = decide(input({ customer: customer({ phone: '138****5678' }) }));
    expect(masked).toMatchObject({ action: 'skip', reason: 'masked_contact' });
    expect(reasonOf(input({ customer: customer({ phone: null }) }))).toBe('no_contact');
    expect(reasonOf(input({ medium: 'email', customer: customer({ email: 'not-an-email' }) }))).toBe('no_contact');
    expect(reasonOf(input({ medium: 'platform', customer: customer({ platformHandle: null }) }))).toBe('no_contact');
  });
  it('caps marketing at one per 30 days from any source; care is not capped', () => {
    const history = { marketingAt: ['2026-11-01T02:00:00.000Z'] };
    expect(reasonOf(input({ history }))).toBe('frequency_cap');
    expect(reasonOf(input({ history, medium: 'email' }))).toBe('frequency_cap');
    expect(reasonOf(input({ history, kind: 'care' }))).toBe('send');
    // 31 days ago: free again.
    expect(reasonOf(input({ history: { marketingAt: ['2026-10-23T01:00:00.000Z'] } }))).toBe('send');
    expect(reasonOf(input({ history, rules: { ...DEFAULT_RULES, capCount: 2 } }))).toBe('send');
  });
  it('defers outside the windows; marketing SMS never outside 08:00–22:00; care never at night', () => {
    const wide = { ...DEFAULT_RULES, windows: [{ start: '06:00', end: '23:30' }] };
    const at0700 = new Date('2026-11-22T23:00:00.000Z'); // 07:00 local
    expect(decide(input({ rules: wide, now: at0700 }))).toMatchObject({
      action: 'defer',
      until: new Date('2026-11-23T00:00:00.000Z'),
    });
    // The same window lets an email go at 07:00.
    expect(decide(input({ rules: wide, now: at0700, medium: 'email' })).action).toBe('send');
    const at2300 = new Date('2026-11-23T15:00:00.000Z'); // 23:00 local
    expect(decide(input({ kind: 'care', now: at2300 }))).toMatchObject({
      action: 'defer',
      until: new Date('2026-11-24T00:00:00.000Z'),
    });
    // Care at 12:30 (between marketing windows) goes now.
    const at1230 = new Date('2026-11-23T04:30:00.000Z');
    expect(decide(input({ kind: 'care', now: at1230 })).action).toBe('send');
    expect(decide(input({ now: at1230 })).action).toBe('defer');
  });
  it('one person gets one message, and a campaign stops at its budget', () => {
    const twin = { customer: customer({ id: 'c2' }), history: { marketingAt: [] }, costFen: 5 };
    const other = { customer: customer({ id: 'c3', phone: '13900000000' }), history: { marketingAt: [] }, costFen: 5 };
    const third = { customer: customer({ id: 'c4', phone: '13700000000' }), history: { marketingAt: [] }, costFen: 5 };
    const out = decideBatch([{ customer: customer(), history: { marketingAt: [] }, costFen: 5 }, twin, other, third], {
      kind: 'marketing',
      medium: 'sms',
      now: IN_WINDOW,
      rules: DEFAULT_RULES,
      budgetFen: 10,
    });
    expect(out.map((o) => (o.decision.action === 'skip' ? o.decision.reason : o.decision.action))).toEqual([
      'send',
      'duplicate_contact',
      'send',
      'budget',
    ]);
  });
});

describe('hold-out and A/B assignment', () => {
  const ids = Array.from({ length: 1001 }, (_, i) => `cust${String(i).padStart(4, '0')}`);
  const opts = {
    seed: 's1',
    holdoutPct: 10,
    variants: [
      { key: 'A', weight: 50 },
      { key: 'B', weight: 50 },
    ],
  };
  it('has exact sizes: control = round(10 %), the rest split by weight', () => {
    const g = assignGroups(ids, opts);
    const count = (k: string) => [...g.values()].filter((v) => v === k).length;
    expect(count(CONTROL)).toBe(100);
    expect(count('A')).toBe(451);
    expect(count('B')).toBe(450);
    expect(
      splitSizes(10, [
        { key: 'A', weight: 1 },
        { key: 'B', weight: 1 },
        { key: 'C', weight: 1 },
      ]),
    ).toEqual([4, 3, 3]);
  });
  it('is reproducible from the seed whatever the order, and another seed draws differently', () => {
    const a = assignGroups(ids, opts);
    const b = assignGroups([...ids].reverse(), opts);
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    const c = assignGroups(ids, { ...opts, seed: 's2' });
    const same = ids.filter((id) => a.get(id) === CONTROL && c.get(id) === CONTROL).length;
    expect(same).toBeLessThan(40); // ~10 expected by chance, 100 if the seed were ignored
  });
});

describe('attribution', () => {
  // Hand-made: 10 treated customers, 3 bought (4 orders, ¥4.50); 5 control customers, 1 bought (1 order, ¥1).
  const treated = outcomeOf(
    [1, 0, 0, 2, 0, 1, 0, 0, 0, 0].map((orders, i) => ({ orders, revenueFen: [100, 0, 0, 300, 0, 50][i] ?? 0 })),
  );
  const control = outcomeOf([1, 0, 0, 0, 0].map((orders) => ({ orders, revenueFen: orders * 100 })));
  const a = attribute(treated, control)!;
  it('conversion per group and its lift with a 95 % interval, computed by hand', () => {
    expect(a.treated.conversion).toBe(0.3);
    expect(a.control.conversion).toBe(0.2);
    // se = √(0.3·0.7/10 + 0.2·0.8/5) = √0.053 = 0.230217; 1.959964 · se = 0.451217
    expect(a.conversionLift.value).toBeCloseTo(0.1, 10);
    expect(a.conversionLift.low).toBeCloseTo(-0.351217, 5);
    expect(a.conversionLift.high).toBeCloseTo(0.551217, 5);
    expect(a.relativeLift).toBeCloseTo(0.5, 10);
    expect(a.incrementalConversions.value).toBeCloseTo(1, 10);
  });
  it('incremental orders and revenue over what the control rate predicts, with intervals', () => {
    // orders per customer 0.4 vs 0.2; variances 4.4/9 and 0.8/4; se = √(0.0488889 + 0.04) = 0.298142
    expect(a.incrementalOrders.value).toBeCloseTo(2, 10);
    expect(a.incrementalOrders.low).toBeCloseTo(-3.84348, 4);
    expect(a.incrementalOrders.high).toBeCloseTo(7.84348, 4);
    // revenue per customer 45 vs 20 fen; variances 82250/9 and 8000/4; se = √(913.889 + 400) = 36.2476
    expect(a.incrementalRevenueFen.value).toBeCloseTo(250, 8);
    expect(a.incrementalRevenueFen.low).toBeCloseTo(-460.44, 1);
    expect(a.incrementalRevenueFen.high).toBeCloseTo(960.44, 1);
  });
  it('needs both groups', () => {
    expect(attribute(treated, outcomeOf([]))).toBeNull();
  });
});
